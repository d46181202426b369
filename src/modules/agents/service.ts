import { and, asc, eq, gt, inArray, isNotNull, isNull, ne, sql } from 'drizzle-orm'
import type { Actor, Role } from '../../auth/actor.ts'
import { authorize } from '../../auth/policy.ts'
import type { Db } from '../../db/client.ts'
import { authSessions, departmentMembers, departments, memberships, users } from '../../db/schema/index.ts'
import { inWorkspace, readInWorkspace } from '../../db/tenant.ts'
import type { Executor, Tx } from '../../db/transaction.ts'
import { paginate, readCursor } from '../../lib/cursor.ts'
import { invalid, Problem, problem } from '../../lib/problem.ts'
import type { Passwords } from '../auth/passwords.ts'
import { recordEvent } from '../events/service.ts'

export const AgentNotFound = problem('not_found', 'Agent %s not found')

export interface CreateAgentInput {
  email: string
  name: string
  role: Role
  /** Required for a person new to Atiende; someone who already signs in elsewhere keeps their password. */
  password?: string | undefined
  departmentIds?: string[] | undefined
}

export interface UpdateAgentInput {
  name?: string
  role?: Role
  active?: boolean
  departmentIds?: string[]
}

const agentColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: memberships.role,
  deactivatedAt: memberships.deactivatedAt,
  createdAt: memberships.createdAt,
  updatedAt: memberships.updatedAt,
  departmentIds: sql<
    string[]
  >`coalesce((select array_agg(${departmentMembers.departmentId} order by ${departmentMembers.departmentId})
    from ${departmentMembers} where ${departmentMembers.workspaceId} = ${memberships.workspaceId}
    and ${departmentMembers.userId} = ${memberships.userId}), '{}')`,
}

type AgentRow = {
  id: string
  email: string
  name: string
  role: Role
  deactivatedAt: Date | null
  createdAt: Date
  updatedAt: Date
  departmentIds: string[]
}

export function toAgent(row: AgentRow) {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    active: row.deactivatedAt === null,
    departmentIds: row.departmentIds,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    deactivatedAt: row.deactivatedAt?.toISOString() ?? null,
  }
}
export type Agent = ReturnType<typeof toAgent>

function selectAgents(q: Executor, workspaceId: string) {
  return q
    .select(agentColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.workspaceId, workspaceId))
    .$dynamic()
}

async function findAgent(q: Executor, workspaceId: string, userId: string): Promise<AgentRow> {
  const [row] = await selectAgents(q, workspaceId).where(
    and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)),
  )
  if (!row) throw AgentNotFound(userId)
  return row as AgentRow
}

async function setDepartments(tx: Tx, workspaceId: string, userId: string, departmentIds: string[]) {
  const ids = [...new Set(departmentIds.map((id) => id.toLowerCase()))]
  if (ids.length > 0) {
    const found = await tx
      .select({ id: departments.id })
      .from(departments)
      .where(and(eq(departments.workspaceId, workspaceId), inArray(departments.id, ids)))
    const missing = ids.filter((id) => !found.some((d) => d.id === id))
    if (missing.length > 0)
      throw invalid('/departmentIds', `names no department of this workspace: ${missing.join(', ')}`)
  }
  await tx
    .delete(departmentMembers)
    .where(and(eq(departmentMembers.workspaceId, workspaceId), eq(departmentMembers.userId, userId)))
  if (ids.length > 0) {
    await tx
      .insert(departmentMembers)
      .values(ids.map((departmentId) => ({ workspaceId, departmentId, userId })))
  }
}

/** Adds a person to a workspace with a role, creating their account when they have none. */
export async function addMember(
  tx: Tx,
  actor: Actor,
  workspaceId: string,
  passwords: Passwords,
  input: CreateAgentInput,
): Promise<AgentRow> {
  const email = input.email.trim()
  // Never the password hash: the tenant role may not read it (migration 0006).
  const person = { id: users.id, email: users.email, name: users.name }
  const [existing] = await tx.select(person).from(users).where(sql`lower(${users.email}) = lower(${email})`)
  if (existing && input.password !== undefined) {
    throw new Problem(
      'conflict',
      'This person already has an Atiende account and signs in with their own password; add them without one.',
      { errors: [{ path: '/password', message: 'must be omitted for an existing account' }] },
    )
  }
  if (!existing && input.password === undefined) {
    throw invalid('/password', 'is required for a person who has no Atiende account yet')
  }
  const user =
    existing ??
    (
      await tx
        .insert(users)
        .values({ email, name: input.name, passwordHash: await passwords.hash(input.password as string) })
        .returning(person)
    )[0]
  if (!user) throw new Error('insert returned no row')
  const [membership] = await tx
    .insert(memberships)
    .values({ workspaceId, userId: user.id, role: input.role })
    .onConflictDoNothing()
    .returning()
  if (!membership) throw new Problem('conflict', `${email} is already an agent of this workspace.`)
  if (input.departmentIds) await setDepartments(tx, workspaceId, user.id, input.departmentIds)
  await recordEvent(tx, {
    workspaceId,
    type: 'agent.created',
    subjectType: 'agent',
    subjectId: user.id,
    actor,
    data: { email, role: input.role },
  })
  return findAgent(tx, workspaceId, user.id)
}

export function createAgentsService(db: Db, passwords: Passwords) {
  /** Owners alone make, unmake or deactivate owners; the last active owner stays. */
  async function assertOwnerRules(
    tx: Tx,
    actor: Actor,
    workspaceId: string,
    current: AgentRow,
    next: UpdateAgentInput,
  ) {
    const touchesOwner = current.role === 'owner' || next.role === 'owner'
    const changesRoleOrActive =
      (next.role !== undefined && next.role !== current.role) ||
      (next.active !== undefined && next.active !== (current.deactivatedAt === null))
    if (!touchesOwner || !changesRoleOrActive) return
    authorize(actor, 'workspace:owner')
    const losesOwner =
      current.role === 'owner' &&
      current.deactivatedAt === null &&
      (next.active === false || (next.role ?? 'owner') !== 'owner')
    if (!losesOwner) return
    // Two owners demoting each other at once: both wait here, so the second sees the first's change.
    await tx
      .select({ userId: memberships.userId })
      .from(memberships)
      .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.role, 'owner')))
      .for('update')
    const [others] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(memberships)
      .where(
        and(
          eq(memberships.workspaceId, workspaceId),
          eq(memberships.role, 'owner'),
          isNull(memberships.deactivatedAt),
          ne(memberships.userId, current.id),
        ),
      )
    if ((others?.n ?? 0) === 0) {
      throw new Problem(
        'conflict',
        'A workspace keeps at least one active owner; make someone else owner first.',
      )
    }
  }

  return {
    create(actor: Actor, input: CreateAgentInput) {
      const { workspaceId } = authorize(actor, 'agents:write')
      if (input.role === 'owner') authorize(actor, 'workspace:owner')
      return inWorkspace(db, workspaceId, async (tx) =>
        toAgent(await addMember(tx, actor, workspaceId, passwords, input)),
      )
    },

    async get(actor: Actor, userId: string) {
      const { workspaceId } = authorize(actor, 'agents:read')
      return toAgent(await readInWorkspace(db, workspaceId, (q) => findAgent(q, workspaceId, userId)))
    },

    async list(
      actor: Actor,
      filter: { role?: Role[] | undefined; active?: boolean | undefined; departmentId?: string | undefined },
      page: { limit: number; cursor?: string | undefined },
    ) {
      const { workspaceId } = authorize(actor, 'agents:read')
      const after = page.cursor ? readCursor(page.cursor, ['uuid'])[0] : undefined
      const rows = (await readInWorkspace(db, workspaceId, (q) =>
        selectAgents(q, workspaceId)
          .where(
            and(
              eq(memberships.workspaceId, workspaceId),
              filter.role ? inArray(memberships.role, filter.role) : undefined,
              filter.active === undefined
                ? undefined
                : filter.active
                  ? isNull(memberships.deactivatedAt)
                  : isNotNull(memberships.deactivatedAt),
              filter.departmentId
                ? inArray(
                    memberships.userId,
                    db
                      .select({ id: departmentMembers.userId })
                      .from(departmentMembers)
                      .where(
                        and(
                          eq(departmentMembers.workspaceId, workspaceId),
                          eq(departmentMembers.departmentId, filter.departmentId),
                        ),
                      ),
                  )
                : undefined,
              after ? gt(memberships.userId, after) : undefined,
            ),
          )
          .orderBy(asc(memberships.userId))
          .limit(page.limit + 1),
      )) as AgentRow[]
      const result = paginate(rows, page.limit, (row) => [row.id])
      return { data: result.data.map(toAgent), nextCursor: result.nextCursor, cursors: result.cursors }
    },

    /** Changes role, name, departments or activity; deactivating ends the agent's sessions at once. */
    async update(actor: Actor, userId: string, input: UpdateAgentInput) {
      const { workspaceId } = authorize(actor, 'agents:write')
      // The name is the person's, shared by every workspace they work in: one workspace may not rename
      // someone who also works for another. Asked as the owner, before the workspace-bound transaction
      // (whose row-level security rightly hides other workspaces).
      if (input.name !== undefined) {
        // Only about an agent of the caller's workspace (404 otherwise, telling nothing of elsewhere).
        await readInWorkspace(db, workspaceId, (q) => findAgent(q, workspaceId, userId))
        const [elsewhere] = await db
          .select({ n: sql<number>`count(*)::int` })
          .from(memberships)
          .where(and(eq(memberships.userId, userId), ne(memberships.workspaceId, workspaceId)))
        if ((elsewhere?.n ?? 0) > 0) {
          throw new Problem(
            'conflict',
            'This person also works in another workspace; only they can change their name.',
            {
              errors: [{ path: '/name', message: 'belongs to the person, who works in several workspaces' }],
            },
          )
        }
      }
      return inWorkspace(db, workspaceId, async (tx) => {
        await tx
          .select({ userId: memberships.userId })
          .from(memberships)
          .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)))
          .for('update')
        const current = await findAgent(tx, workspaceId, userId)
        await assertOwnerRules(tx, actor, workspaceId, current, input)
        const changes: Record<string, [unknown, unknown]> = {}
        const set: Partial<typeof memberships.$inferInsert> = {}
        if (input.role !== undefined && input.role !== current.role) {
          set.role = input.role
          changes.role = [current.role, input.role]
        }
        if (input.active !== undefined && input.active !== (current.deactivatedAt === null)) {
          set.deactivatedAt = input.active ? null : new Date()
          changes.active = [!input.active, input.active]
          // Its sessions end for good, so reactivating the agent does not revive old tokens.
          if (!input.active) {
            await tx
              .update(authSessions)
              .set({ revokedAt: sql`now()`, revokedReason: 'agent_deactivated' })
              .where(
                and(
                  eq(authSessions.workspaceId, workspaceId),
                  eq(authSessions.userId, userId),
                  isNull(authSessions.revokedAt),
                ),
              )
          }
        }
        if (input.name !== undefined && input.name !== current.name) {
          await tx.update(users).set({ name: input.name, updatedAt: new Date() }).where(eq(users.id, userId))
          changes.name = [current.name, input.name]
        }
        if (input.departmentIds !== undefined) {
          const next = [...new Set(input.departmentIds.map((id) => id.toLowerCase()))].sort()
          if (next.join() !== current.departmentIds.join()) {
            await setDepartments(tx, workspaceId, userId, next)
            changes.departmentIds = [current.departmentIds, next]
          }
        }
        if (Object.keys(changes).length === 0) return toAgent(current)
        await tx
          .update(memberships)
          .set({ ...set, updatedAt: new Date() })
          .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)))
        await recordEvent(tx, {
          workspaceId,
          type: input.active === false && changes.active ? 'agent.deactivated' : 'agent.updated',
          subjectType: 'agent',
          subjectId: userId,
          actor,
          changes,
        })
        return toAgent(await findAgent(tx, workspaceId, userId))
      })
    },

    /** Batch read for GraphQL loaders. */
    async byIds(actor: Actor, ids: readonly string[]) {
      const { workspaceId } = authorize(actor, 'agents:read')
      if (ids.length === 0) return []
      const rows = (await readInWorkspace(db, workspaceId, (q) =>
        selectAgents(q, workspaceId).where(
          and(eq(memberships.workspaceId, workspaceId), inArray(memberships.userId, [...new Set(ids)])),
        ),
      )) as AgentRow[]
      return rows.map(toAgent)
    },
  }
}
export type AgentsService = ReturnType<typeof createAgentsService>
