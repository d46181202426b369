import { randomBytes } from 'node:crypto'
import argon2, { type HashOptions } from 'argon2'

export interface PasswordCost {
  /** Memory in KiB; OWASP's minimum for argon2id is 19 MiB with 2 iterations. */
  memoryKib: number
  iterations: number
}

/** argon2id through node-argon2 (the reference C implementation), with a cost the operator sets. */
export function createPasswords(cost: PasswordCost) {
  const options: HashOptions = {
    type: argon2.argon2id,
    memoryCost: cost.memoryKib,
    timeCost: cost.iterations,
    parallelism: 1,
  }
  let decoy: Promise<string> | undefined
  return {
    hash: (password: string) => argon2.hash(password, options),

    /**
     * Checks a password. Without a stored hash (an unknown e-mail) it checks one anyway against a
     * decoy hash of the same cost, so the answer takes as long as a wrong password for a real account.
     */
    async verify(hash: string | null, password: string): Promise<boolean> {
      decoy ??= argon2.hash(randomBytes(24).toString('base64url'), options)
      const target = hash ?? (await decoy)
      const matches = await argon2.verify(target, password).catch(() => false)
      return hash !== null && matches
    },

    needsRehash: (hash: string) => argon2.needsRehash(hash, options),
  }
}
export type Passwords = ReturnType<typeof createPasswords>
