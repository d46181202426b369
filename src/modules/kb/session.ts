import { createHash } from 'node:crypto'

/**
 * An anonymous reader's session key (a random value their page keeps) as stored: hashed, so the
 * table of votes never holds a value that could be replayed as someone's session.
 */
export const hashSessionKey = (key: string) => createHash('sha256').update(key).digest('hex')
