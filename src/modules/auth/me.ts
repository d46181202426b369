import { and, eq } from 'drizzle-orm'
import type { Actor } from '../../auth/actor.ts'
import type { Db } from '../../db/client.ts'
import { apiKeys, contacts, users } from '../../db/schema/index.ts'
import { readInWorkspace } from '../../db/tenant.ts'
import { currentExecutor, type Executor } from '../../db/transaction.ts'
import { Problem } from '../../lib/problem.ts'
import { toContact } from '../contacts/service.ts'

/** Who the bearer token speaks for (`GET /v1/me`): any authenticated caller may ask about themself. */
export async function describeActor(db: Db, actor: Actor) {
  if (actor.kind === 'anonymous') throw new Problem('unauthorized', 'A bearer token is required.')
  if (actor.kind === 'platform') return describe(currentExecutor(db), actor)
  return readInWorkspace(db, actor.workspaceId, (q) => describe(q, actor))
}

async function describe(q: Executor, actor: Actor) {
  const none = { agent: null, contact: null, apiKey: null }
  switch (actor.kind) {
    case 'anonymous':
      throw new Problem('unauthorized', 'A bearer token is required.')
    case 'platform':
      return { kind: actor.kind, workspaceId: null, ...none }
    case 'agent': {
      const [user] = await q
        .select({ id: users.id, email: users.email, name: users.name })
        .from(users)
        .where(eq(users.id, actor.userId))
      if (!user) throw new Problem('unauthorized', 'This agent no longer exists.')
      return {
        kind: actor.kind,
        workspaceId: actor.workspaceId,
        ...none,
        agent: { ...user, role: actor.role },
      }
    }
    case 'contact': {
      const [row] = await q
        .select()
        .from(contacts)
        .where(and(eq(contacts.workspaceId, actor.workspaceId), eq(contacts.id, actor.contactId)))
      if (!row) throw new Problem('unauthorized', 'This contact no longer exists.')
      return { kind: actor.kind, workspaceId: actor.workspaceId, ...none, contact: toContact(row) }
    }
    case 'apiKey': {
      const [key] = await q
        .select({ id: apiKeys.id, name: apiKeys.name, prefix: apiKeys.prefix, scopes: apiKeys.scopes })
        .from(apiKeys)
        .where(and(eq(apiKeys.workspaceId, actor.workspaceId), eq(apiKeys.id, actor.apiKeyId)))
      if (!key) throw new Problem('unauthorized', 'This API key no longer exists.')
      return { kind: actor.kind, workspaceId: actor.workspaceId, ...none, apiKey: key }
    }
  }
}
