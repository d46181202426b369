import type { JWT } from '@fastify/jwt'
import { and, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm'
import type { Actor, Role } from '../../auth/actor.ts'
import type { Db } from '../../db/client.ts'
import {
  authSessions,
  loginThrottle,
  memberships,
  refreshTokens,
  serviceSecrets,
  users,
  workspaces,
} from '../../db/schema/index.ts'
import { inTransaction, type Tx } from '../../db/transaction.ts'
import { invalid, Problem } from '../../lib/problem.ts'
import { isUuid } from '../../lib/refs.ts'
import { generateSecret, sha256 } from '../../lib/secrets.ts'
import type { Passwords } from './passwords.ts'

export interface SessionSettings {
  accessTokenTtlSeconds: number
  refreshTokenTtlDays: number
  failuresPerAccount: number
  failuresPerIp: number
  failureWindowSeconds: number
}

/** The claims of an agent access token. `sid` names the session, so revoking it ends the token at once. */
interface AccessClaims {
  typ: 'access'
  sub: string
  ws: string
  sid: string
}

export interface LoginInput {
  email: string
  password: string
  /** The workspace to sign in to, by slug or id; needed only when the agent belongs to several. */
  workspace?: string | undefined
}

const wrongCredentials = () => new Problem('unauthorized', 'The e-mail address or the password is wrong.')
const refreshRefused = () =>
  new Problem('unauthorized', 'The refresh token is invalid, expired, used or revoked; sign in again.')

/** The key that signs access tokens: the configured one, else one generated once and kept in the database. */
export async function accessTokenKey(db: Db, configured: string | undefined): Promise<string> {
  if (configured) return configured
  await db
    .insert(serviceSecrets)
    .values({ name: 'access_token_key', secret: generateSecret('ask') })
    .onConflictDoNothing()
  const [row] = await db.select().from(serviceSecrets).where(eq(serviceSecrets.name, 'access_token_key'))
  if (!row) throw new Error('the access token key could not be stored')
  return row.secret
}

export function createSessionsService(db: Db, jwt: JWT, passwords: Passwords, settings: SessionSettings) {
  const windowMs = settings.failureWindowSeconds * 1000

  // Every agent request checks that its session is open and its membership active: one indexed read.
  const liveAgent = db
    .select({ role: memberships.role })
    .from(memberships)
    .innerJoin(
      authSessions,
      and(
        eq(authSessions.id, sql.placeholder('sessionId')),
        eq(authSessions.userId, memberships.userId),
        eq(authSessions.workspaceId, memberships.workspaceId),
      ),
    )
    .where(
      and(
        eq(memberships.workspaceId, sql.placeholder('workspaceId')),
        eq(memberships.userId, sql.placeholder('userId')),
        isNull(memberships.deactivatedAt),
        isNull(authSessions.revokedAt),
        gt(authSessions.expiresAt, sql`now()`),
      ),
    )
    .prepare('live_agent_session')

  /**
   * Counts a sign-in attempt against the account and the address before the password is checked, in
   * one statement, so parallel guesses cannot all pass a check made before any of them was counted;
   * refuses it (429) when either has used up its attempts in the window. A success gives them back.
   */
  async function countAttempt(keys: { key: string; limit: number }[]) {
    const restart = sql`${loginThrottle.windowStartedAt} <= now() - make_interval(secs => ${settings.failureWindowSeconds})`
    const rows = await db
      .insert(loginThrottle)
      .values(keys.map(({ key }) => ({ key, failures: 1, windowStartedAt: sql`now()` })))
      .onConflictDoUpdate({
        target: loginThrottle.key,
        set: {
          failures: sql`case when ${restart} then 1 else ${loginThrottle.failures} + 1 end`,
          windowStartedAt: sql`case when ${restart} then now() else ${loginThrottle.windowStartedAt} end`,
        },
      })
      .returning()
    const now = Date.now()
    let retryAfterMs = 0
    for (const row of rows) {
      const limit = keys.find((k) => k.key === row.key)?.limit ?? Number.POSITIVE_INFINITY
      if (row.failures > limit)
        retryAfterMs = Math.max(retryAfterMs, row.windowStartedAt.getTime() + windowMs - now)
    }
    if (retryAfterMs > 0) {
      const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000))
      throw new Problem('rate_limited', `Too many failed sign-ins; try again in ${seconds} seconds.`, {
        headers: { 'retry-after': String(seconds) },
      })
    }
  }

  /** A successful sign-in: the account starts afresh, and the address gets its attempt back. */
  async function forgiveAttempt(accountKey: string, ipKey: string) {
    await db.delete(loginThrottle).where(eq(loginThrottle.key, accountKey))
    await db
      .update(loginThrottle)
      .set({ failures: sql`greatest(${loginThrottle.failures} - 1, 0)` })
      .where(eq(loginThrottle.key, ipKey))
  }

  async function issueRefreshToken(q: Tx, sessionId: string) {
    const token = generateSecret('atr')
    await q.insert(refreshTokens).values({ tokenHash: sha256(token), sessionId })
    return token
  }

  function tokens(
    session: { id: string; userId: string; workspaceId: string; expiresAt: Date },
    refreshToken: string,
  ) {
    const claims: AccessClaims = {
      typ: 'access',
      sub: session.userId,
      ws: session.workspaceId,
      sid: session.id,
    }
    return {
      tokenType: 'Bearer' as const,
      accessToken: jwt.sign(claims, { expiresIn: settings.accessTokenTtlSeconds }),
      expiresIn: settings.accessTokenTtlSeconds,
      refreshToken,
      refreshTokenExpiresAt: session.expiresAt.toISOString(),
    }
  }

  return {
    async login(input: LoginInput, ip: string) {
      const email = input.email.trim().toLowerCase()
      const throttleKeys = [
        { key: `account:${email}`, limit: settings.failuresPerAccount },
        { key: `ip:${ip}`, limit: settings.failuresPerIp },
      ]
      await countAttempt(throttleKeys)
      const [user] = await db.select().from(users).where(sql`lower(${users.email}) = ${email}`)
      const valid = await passwords.verify(user?.passwordHash ?? null, input.password)
      // An account without an active membership answers like a wrong password.
      const active =
        user && valid
          ? await db
              .select({ workspaceId: workspaces.id, slug: workspaces.slug })
              .from(memberships)
              .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
              .where(and(eq(memberships.userId, user.id), isNull(memberships.deactivatedAt)))
          : []
      if (!user || active.length === 0) throw wrongCredentials()
      const wanted = input.workspace
      const chosen = wanted
        ? active.find((m) => m.slug === wanted || (isUuid(wanted) && m.workspaceId === wanted))
        : active.length === 1
          ? active[0]
          : undefined
      if (!chosen) {
        throw invalid(
          '/workspace',
          wanted
            ? `is not a workspace this agent belongs to: ${wanted}`
            : `is required: this agent belongs to ${active.map((m) => m.slug).join(', ')}`,
        )
      }
      await forgiveAttempt(`account:${email}`, `ip:${ip}`)
      if (user.passwordHash && passwords.needsRehash(user.passwordHash)) {
        await db
          .update(users)
          .set({ passwordHash: await passwords.hash(input.password) })
          .where(eq(users.id, user.id))
      }
      return inTransaction(db, async (tx) => {
        const expiresAt = new Date(Date.now() + settings.refreshTokenTtlDays * 86_400_000)
        const [session] = await tx
          .insert(authSessions)
          .values({ workspaceId: chosen.workspaceId, userId: user.id, expiresAt })
          .returning()
        if (!session) throw new Error('insert returned no row')
        return tokens(session, await issueRefreshToken(tx, session.id))
      })
    },

    /**
     * Trades a refresh token for a new pair. Each refresh token works once: presenting a used one means
     * it was copied, so the whole session (every token descended from the same sign-in) is revoked.
     */
    async refresh(refreshToken: string) {
      const hash = sha256(refreshToken)
      const outcome = await inTransaction(db, async (tx) => {
        const [used] = await tx
          .update(refreshTokens)
          .set({ usedAt: sql`now()` })
          .where(and(eq(refreshTokens.tokenHash, hash), isNull(refreshTokens.usedAt)))
          .returning({ sessionId: refreshTokens.sessionId })
        if (!used) {
          const [replayed] = await tx
            .select({ sessionId: refreshTokens.sessionId })
            .from(refreshTokens)
            .where(eq(refreshTokens.tokenHash, hash))
          if (replayed) {
            await tx
              .update(authSessions)
              .set({ revokedAt: sql`now()`, revokedReason: 'refresh_token_reused' })
              .where(and(eq(authSessions.id, replayed.sessionId), isNull(authSessions.revokedAt)))
          }
          return null
        }
        const [session] = await tx
          .select({ session: authSessions })
          .from(authSessions)
          .innerJoin(
            memberships,
            and(
              eq(memberships.workspaceId, authSessions.workspaceId),
              eq(memberships.userId, authSessions.userId),
              isNull(memberships.deactivatedAt),
            ),
          )
          .where(
            and(
              eq(authSessions.id, used.sessionId),
              isNull(authSessions.revokedAt),
              gt(authSessions.expiresAt, sql`now()`),
            ),
          )
        if (!session) return null
        return tokens(session.session, await issueRefreshToken(tx, session.session.id))
      })
      // Thrown after the commit, so a detected reuse stays revoked.
      if (!outcome) throw refreshRefused()
      return outcome
    },

    /** Ends the caller's session (or the one a refresh token belongs to): its tokens stop working at once. */
    async logout(actor: Actor, refreshToken: string | undefined) {
      const bySession = actor.kind === 'agent' ? eq(authSessions.id, actor.sessionId) : undefined
      const byToken = refreshToken
        ? inArray(
            authSessions.id,
            db
              .select({ id: refreshTokens.sessionId })
              .from(refreshTokens)
              .where(eq(refreshTokens.tokenHash, sha256(refreshToken))),
          )
        : undefined
      if (!bySession && !byToken) {
        if (actor.kind === 'anonymous')
          throw new Problem('unauthorized', 'Send an access token or a refresh token.')
        throw invalid('/refreshToken', 'is required: only an agent access token has a session to end')
      }
      const ended = await db
        .update(authSessions)
        .set({ revokedAt: sql`now()`, revokedReason: 'logout' })
        .where(and(or(bySession, byToken), isNull(authSessions.revokedAt)))
        .returning({ id: authSessions.id })
      if (ended.length === 0 && !bySession) throw refreshRefused()
    },

    /** The agent an access token speaks for, as of now: a deactivated agent or an ended session is refused. */
    async authenticate(token: string): Promise<Actor | null> {
      let claims: AccessClaims
      try {
        claims = jwt.verify<AccessClaims>(token)
      } catch {
        return null
      }
      if (claims.typ !== 'access' || !isUuid(claims.sub) || !isUuid(claims.ws) || !isUuid(claims.sid)) {
        return null
      }
      const [live] = await liveAgent.execute({
        sessionId: claims.sid,
        workspaceId: claims.ws,
        userId: claims.sub,
      })
      if (!live) return null
      return {
        kind: 'agent',
        workspaceId: claims.ws,
        userId: claims.sub,
        role: live.role as Role,
        sessionId: claims.sid,
      }
    },
  }
}
export type SessionsService = ReturnType<typeof createSessionsService>
