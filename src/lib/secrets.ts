import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** A random secret with a readable prefix, e.g. `atk_3kQ…` (32 random bytes, base64url). */
export function generateSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`
}

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex')

export function safeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest()
  const right = createHash('sha256').update(b).digest()
  return timingSafeEqual(left, right)
}
