import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'

const root = path.resolve(import.meta.dirname, '..')
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'atiende-server-'))
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))

/** Starts `src/server.ts` as `npm start` does, on the embedded database in dataDir. */
async function start(): Promise<{ child: ChildProcess; base: string; output: () => string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  }
  delete env.DATABASE_URL
  delete env.ATIENDE_PLATFORM_TOKEN
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: root, env })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000)
    child.stdout.on('data', () => {
      // The banner is one write ending with the docs line or the provisioning hint.
      const match =
        /Atiende API on (http:\/\/[\d.:]+)[\s\S]*(Bearer <platform token>|disabled|graphiql)\s*$/.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)))
  })
  return { child, base, output: () => output }
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill('SIGTERM')
  return exited
}

t.test('npm start serves on embedded PostgreSQL, and a restart keeps the data', async (t) => {
  const first = await start()
  t.teardown(() => first.child.kill('SIGKILL'))
  const token = readFileSync(path.join(dataDir, 'platform-token'), 'utf8').trim()
  t.match(first.output(), token, 'the generated platform token is printed on first start')
  t.match(first.output(), '/docs')
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const created = await fetch(`${first.base}/v1/workspaces`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ slug: 'persisted', name: 'Persisted' }),
  })
  t.equal(created.status, 201)
  const { apiKey } = (await created.json()) as { apiKey: { secret: string } }
  const ticket = await fetch(`${first.base}/v1/tickets`, {
    method: 'POST',
    headers: { ...auth, authorization: `Bearer ${apiKey.secret}` },
    body: JSON.stringify({
      subject: 'Survives restarts',
      message: { body: 'x' },
      requester: { email: 'p@example.com' },
    }),
  })
  t.equal(ticket.status, 201)
  t.equal(await stop(first.child), 0, 'SIGTERM shuts down cleanly')

  const second = await start()
  t.teardown(() => second.child.kill('SIGKILL'))
  t.notMatch(second.output(), token, 'the token is printed only once')
  const again = await fetch(`${second.base}/v1/tickets/1`, {
    headers: { authorization: `Bearer ${apiKey.secret}` },
  })
  t.equal(again.status, 200)
  t.equal(((await again.json()) as { subject: string }).subject, 'Survives restarts')
  t.equal((await fetch(`${second.base}/readyz`)).status, 200)
  t.equal(await stop(second.child), 0)
})

t.test('npm run db:migrate applies migrations without starting the server', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'atiende-migrate-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dir }
  delete env.DATABASE_URL
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'src/db/migrate-cli.ts'],
    {
      cwd: root,
      env,
    },
  )
  t.match(stdout, /Migrations applied to the embedded database/)
})

t.test('a bad configuration stops the process with a clear message', async (t) => {
  const env = { ...process.env, PORT: 'eighty', DATA_DIR: dataDir }
  const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env,
  }).catch((error: { code: number; stderr: string }) => error)
  t.equal((result as { code: number }).code, 1)
  t.match((result as { stderr: string }).stderr, /Invalid configuration:\n\s+PORT/)
})
