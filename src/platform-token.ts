import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Config } from './config.ts'
import { generateSecret } from './lib/secrets.ts'

/**
 * The platform token that provisions workspaces. Embedded mode generates one on first start and keeps
 * it in the data directory; a server deployment must set ATIENDE_PLATFORM_TOKEN or has no provisioning.
 */
export function resolvePlatformToken(config: Config): { token: string | undefined; generatedAt?: string } {
  if (config.ATIENDE_PLATFORM_TOKEN) return { token: config.ATIENDE_PLATFORM_TOKEN }
  if (config.DATABASE_URL) return { token: undefined }
  const file = path.join(config.DATA_DIR, 'platform-token')
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim() }
  mkdirSync(config.DATA_DIR, { recursive: true })
  const token = generateSecret('atp')
  writeFileSync(file, `${token}\n`, { mode: 0o600 })
  return { token, generatedAt: file }
}
