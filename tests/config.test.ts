import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.ts'

t.test('defaults give the embedded database on 127.0.0.1:3000', async (t) => {
  const config = loadConfig({})
  t.match(config, {
    HOST: '127.0.0.1',
    PORT: 3000,
    DATA_DIR: './data',
    LOG_LEVEL: 'info',
    DATABASE_POOL_SIZE: 10,
  })
  t.equal(config.DATABASE_URL, undefined)
})

t.test('values are parsed to their types', async (t) => {
  const config = loadConfig({
    PORT: '8080',
    TRUST_PROXY: 'true',
    DATABASE_URL: 'postgres://u:p@db:5432/x',
    LOG_LEVEL: 'debug',
  })
  t.match(config, {
    PORT: 8080,
    TRUST_PROXY: true,
    DATABASE_URL: 'postgres://u:p@db:5432/x',
    LOG_LEVEL: 'debug',
  })
})

t.test('a bad value stops start-up with a message naming each variable', async (t) => {
  const error = t.throws(() =>
    loadConfig({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      LOG_LEVEL: 'loud',
      ATIENDE_PLATFORM_TOKEN: 'short',
    }),
  ) as ConfigError
  t.type(error, ConfigError)
  for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'ATIENDE_PLATFORM_TOKEN'])
    t.match(error.message, name)
  t.throws(() => loadConfig({ PORT: '70000' }), { name: 'ConfigError', message: /PORT/ })
  t.throws(() => loadConfig({ TRUST_PROXY: 'maybe' }), { name: 'ConfigError', message: /TRUST_PROXY/ })
})
