import type { JWT } from '@fastify/jwt'
import { and, desc, eq, gt, isNull, or, sql } from 'drizzle-orm'
import type { Actor, ContactActor } from '../../auth/actor.ts'
import { authorize } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { contacts, contactTokenSecrets } from '../../db/schema/index.ts'
import { inWorkspace, readInWorkspace } from '../../db/tenant.ts'
import type { Tx } from '../../db/transaction.ts'
import { Problem } from '../../lib/problem.ts'
import { isUuid } from '../../lib/refs.ts'
import { generateSecret } from '../../lib/secrets.ts'
import { ContactNotFound, type ContactRow, findOrCreateRequester } from '../contacts/service.ts'
import { recordEvent } from '../events/service.ts'

/** A contact token may live at most a day (the `exp` claim is required). */
export const CONTACT_TOKEN_MAX_SECONDS = 86_400
/** After a rotation the previous secret keeps verifying for this long unless the caller chooses otherwise. */
export const DEFAULT_GRACE_MINUTES = 1440
const CLOCK_SKEW_SECONDS = 60
const SECRET_CACHE_MS = 30_000

interface ContactClaims {
  sub?: unknown
  email?: unknown
  name?: unknown
  exp?: unknown
  iat?: unknown
  /** Set by tokens the API mints itself: the contact's id. */
  cid?: unknown
}

type SecretRow = typeof contactTokenSecrets.$inferSelect

/** Creates the workspace's first contact-token secret; the caller shows it once. */
export async function createContactTokenSecret(tx: Tx, workspaceId: string) {
  const [row] = await tx
    .insert(contactTokenSecrets)
    .values({ workspaceId, secret: generateSecret('acs') })
    .returning()
  if (!row) throw new Error('insert returned no row')
  return { id: row.id, secret: row.secret, createdAt: row.createdAt.toISOString() }
}

const toSecretInfo = (row: SecretRow) => ({
  id: row.id,
  createdAt: row.createdAt.toISOString(),
  expiresAt: row.expiresAt?.toISOString() ?? null,
})

export function contactActor(row: ContactRow): ContactActor {
  return {
    kind: 'contact',
    workspaceId: row.workspaceId,
    contactId: row.id,
    organizationId: row.organizationId,
    organizationRole: row.organizationRole,
    blocked: row.blocked,
  }
}

export function createContactTokensService(db: Db, jwt: JWT) {
  // Secrets by id (`kid`), briefly: a rotation adds a secret and dates the old one, which the expiry
  // check below honours, so a cached entry is never more permissive than the table.
  const secrets = new Map<string, { row: SecretRow | null; until: number }>()

  async function secretById(id: string): Promise<SecretRow | null> {
    const cached = secrets.get(id)
    if (cached && cached.until > Date.now()) return cached.row
    const [row] = await db.select().from(contactTokenSecrets).where(eq(contactTokenSecrets.id, id))
    if (secrets.size > 10_000) secrets.clear()
    secrets.set(id, { row: row ?? null, until: Date.now() + SECRET_CACHE_MS })
    return row ?? null
  }

  return {
    /**
     * The contact a token minted with a workspace's secret speaks for (created on first sight), or
     * null when the token is not one: wrong signature, unknown or expired `kid`, `exp` missing or
     * further than a day away.
     */
    async authenticate(token: string, kid: string): Promise<Actor | null> {
      if (!isUuid(kid)) return null
      const secret = await secretById(kid)
      if (!secret || (secret.expiresAt && secret.expiresAt.getTime() <= Date.now())) return null
      let claims: ContactClaims
      try {
        claims = jwt.verify<ContactClaims>(token, { key: secret.secret, algorithms: ['HS256'] })
      } catch {
        return null
      }
      const now = Math.floor(Date.now() / 1000)
      if (
        typeof claims.exp !== 'number' ||
        claims.exp > now + CONTACT_TOKEN_MAX_SECONDS + CLOCK_SKEW_SECONDS
      ) {
        return null
      }
      if (typeof claims.iat === 'number' && claims.exp - claims.iat > CONTACT_TOKEN_MAX_SECONDS) return null
      const { workspaceId } = secret
      const text = (value: unknown, max: number) =>
        typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined
      const email = text(claims.email, 320)
      const name = text(claims.name, 200)
      const sub = text(claims.sub, 255)
      let contact: ContactRow | undefined
      if (typeof claims.cid === 'string' && isUuid(claims.cid)) {
        ;[contact] = await db
          .select()
          .from(contacts)
          .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, claims.cid)))
      } else if (sub) {
        // `sub` is the contact's externalId; an integrator without ids may put the e-mail address there.
        const subIsEmail = sub.includes('@') && (!email || email.toLowerCase() === sub.toLowerCase())
        const actor: Actor = { kind: 'platform' }
        try {
          contact = await inWorkspace(db, workspaceId, (tx) =>
            findOrCreateRequester(
              tx,
              actor,
              workspaceId,
              subIsEmail ? { email: sub, name } : { externalId: sub, email, name },
            ),
          )
        } catch (err) {
          if (err instanceof Problem && err.code === 'conflict') return null
          throw err
        }
      }
      return contact && !contact.anonymizedAt ? contactActor(contact) : null
    },

    /** Mints a token for a contact with the workspace's current secret (`POST /v1/contacts/{id}/token`). */
    async mint(actor: Actor, contactId: string, expiresInSeconds: number) {
      const { workspaceId } = authorize(actor, 'contacts:token')
      const { contact, secret } = await readInWorkspace(db, workspaceId, async (q) => {
        const [contact] = await q
          .select({
            id: contacts.id,
            email: contacts.email,
            name: contacts.name,
            externalId: contacts.externalId,
          })
          .from(contacts)
          .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.id, contactId)))
        if (!contact) throw ContactNotFound(contactId)
        const [secret] = await q
          .select()
          .from(contactTokenSecrets)
          .where(and(eq(contactTokenSecrets.workspaceId, workspaceId), isNull(contactTokenSecrets.expiresAt)))
        return { contact, secret }
      })
      if (!secret)
        throw new Problem('conflict', 'This workspace has no contact-token secret; rotate to create one.')
      const expiresAt = new Date(Date.now() + expiresInSeconds * 1000)
      const token = jwt.sign(
        {
          cid: contact.id,
          sub: contact.externalId ?? contact.email ?? contact.id,
          ...(contact.email && { email: contact.email }),
          ...(contact.name && { name: contact.name }),
        },
        { key: secret.secret, algorithm: 'HS256', kid: secret.id, expiresIn: expiresInSeconds },
      )
      return { token, expiresAt: expiresAt.toISOString() }
    },

    async listSecrets(actor: Actor) {
      const { workspaceId } = authorize(actor, 'workspace:admin')
      const rows = await readInWorkspace(db, workspaceId, (q) =>
        q
          .select()
          .from(contactTokenSecrets)
          .where(
            and(
              eq(contactTokenSecrets.workspaceId, workspaceId),
              or(isNull(contactTokenSecrets.expiresAt), gt(contactTokenSecrets.expiresAt, sql`now()`)),
            ),
          )
          .orderBy(desc(contactTokenSecrets.createdAt)),
      )
      return { data: rows.map(toSecretInfo) }
    },

    /** A new current secret, shown this once; the previous one verifies for `graceMinutes` more. */
    rotateSecret(actor: Actor, graceMinutes: number) {
      const { workspaceId } = authorize(actor, 'workspace:admin')
      const rotated = inWorkspace(db, workspaceId, async (tx) => {
        // Rotations of one workspace take turns: each replaces the current secret the last one made.
        await tx.execute(
          sql`select pg_advisory_xact_lock(hashtext(${`contact-token-secret:${workspaceId}`}))`,
        )
        const [previous] = await tx
          .update(contactTokenSecrets)
          .set({ expiresAt: sql`now() + make_interval(mins => ${graceMinutes})` })
          .where(and(eq(contactTokenSecrets.workspaceId, workspaceId), isNull(contactTokenSecrets.expiresAt)))
          .returning()
        // Secrets already in their grace period end no later than the one just replaced.
        if (previous?.expiresAt) {
          await tx
            .update(contactTokenSecrets)
            .set({ expiresAt: previous.expiresAt })
            .where(
              and(
                eq(contactTokenSecrets.workspaceId, workspaceId),
                gt(contactTokenSecrets.expiresAt, previous.expiresAt),
              ),
            )
        }
        const created = await createContactTokenSecret(tx, workspaceId)
        await recordEvent(tx, {
          workspaceId,
          type: 'contact_token_secret.rotated',
          subjectType: 'contact_token_secret',
          subjectId: created.id,
          actor,
          data: {
            previousId: previous?.id ?? null,
            previousExpiresAt: previous?.expiresAt?.toISOString() ?? null,
          },
        })
        return { ...created, previous: previous ? toSecretInfo(previous) : null }
      })
      // Once committed, forget the workspace's cached secrets: their expiry may have moved closer.
      return rotated.finally(() => {
        for (const [id, entry] of secrets) if (entry.row?.workspaceId === workspaceId) secrets.delete(id)
      })
    },
  }
}
export type ContactTokensService = ReturnType<typeof createContactTokensService>
