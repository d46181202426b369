import { createHash, randomBytes } from 'node:crypto'

/** A random secret with a readable prefix, e.g. `atk_3kQ…` (32 random bytes, base64url). */
export function generateSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`
}

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex')

/** SHA-256 as bytes: equal-length digests let tokens be compared in constant time. */
export const digest = (value: string) => createHash('sha256').update(value).digest()
