import { Problem } from '../lib/problem.ts'
import type { Actor, ContactActor, Role, Scope, StaffActor } from './actor.ts'

/**
 * The one place that decides who may do what. Services call `authorize` (staff only) or
 * `authorizeScoped` (staff, or a contact limited to their own data) before touching anything;
 * routes and resolvers carry no rules of their own.
 */
export type Permission =
  | 'workspace:read'
  | 'workspace:admin'
  | 'workspace:owner'
  | 'agents:read'
  | 'agents:write'
  | 'tickets:read'
  | 'tickets:write'
  | 'contacts:read'
  | 'contacts:write'
  | 'contacts:token'
  | 'catalog:read'
  | 'catalog:write'
  | 'sla:read'
  | 'sla:write'
  | 'kb:read'
  | 'kb:write'

interface Rule {
  /** API key scopes that grant it. */
  scopes: readonly Scope[]
  /** Agent roles that grant it. */
  roles: readonly Role[]
  /** Whether a contact may use it, on their own data only (`write` is refused to a blocked contact). */
  contact?: 'read' | 'write'
}

const anyScope: readonly Scope[] = [
  'tickets:read',
  'tickets:write',
  'contacts:read',
  'contacts:write',
  'admin',
]
const everyRole: readonly Role[] = ['owner', 'admin', 'agent', 'viewer']
const writers: readonly Role[] = ['owner', 'admin', 'agent']
const admins: readonly Role[] = ['owner', 'admin']

/** The whole permission table; `tests/auth/matrix.test.ts` proves it route by route. */
export const rules: Record<Permission, Rule> = {
  'workspace:read': { scopes: anyScope, roles: everyRole },
  'workspace:admin': { scopes: ['admin'], roles: admins },
  // Making, unmaking or deactivating an owner: owners, and the workspace's admin keys (its root credential).
  'workspace:owner': { scopes: ['admin'], roles: ['owner'] },
  'agents:read': { scopes: ['tickets:read', 'tickets:write', 'admin'], roles: everyRole },
  'agents:write': { scopes: ['admin'], roles: admins },
  'tickets:read': { scopes: ['tickets:read', 'tickets:write', 'admin'], roles: everyRole, contact: 'read' },
  'tickets:write': { scopes: ['tickets:write', 'admin'], roles: writers, contact: 'write' },
  'contacts:read': {
    scopes: ['contacts:read', 'contacts:write', 'tickets:read', 'tickets:write', 'admin'],
    roles: everyRole,
  },
  'contacts:write': { scopes: ['contacts:write', 'admin'], roles: writers },
  'contacts:token': { scopes: ['tickets:write', 'admin'], roles: admins },
  'catalog:read': { scopes: anyScope, roles: everyRole, contact: 'read' },
  'catalog:write': { scopes: ['admin'], roles: admins },
  // SLA policies, their timers' internals and the SLA report are staff matters; calendars are catalog.
  'sla:read': { scopes: anyScope, roles: everyRole },
  'sla:write': { scopes: ['admin'], roles: admins },
  // The knowledge base: read by anyone of the workspace (a contact sees what is published for customers),
  // written and published by agents and admin keys.
  'kb:read': { scopes: anyScope, roles: everyRole, contact: 'read' },
  'kb:write': { scopes: ['admin'], roles: writers },
}

/** The customer a contact-scoped grant is limited to. `organizationId` is set for an authorized member only. */
export interface Customer {
  contactId: string
  organizationId: string | null
}

export interface Grant {
  workspaceId: string
  actor: StaffActor | ContactActor
  /** null: the workspace's staff, who see everything; otherwise the customer whose data alone is visible. */
  customer: Customer | null
}

export function can(actor: Actor, permission: Permission | 'platform:workspaces'): boolean {
  if (permission === 'platform:workspaces') return actor.kind === 'platform'
  const rule = rules[permission]
  switch (actor.kind) {
    case 'apiKey':
      return rule.scopes.some((scope) => actor.scopes.includes(scope))
    case 'agent':
      return rule.roles.includes(actor.role)
    case 'contact':
      return rule.contact === 'read' || (rule.contact === 'write' && !actor.blocked)
    default:
      return false
  }
}

function refuse(actor: Actor, permission: string): never {
  if (actor.kind === 'anonymous') throw new Problem('unauthorized', 'A bearer token is required.')
  if (actor.kind === 'contact' && actor.blocked && rules[permission as Permission]?.contact === 'write') {
    throw new Problem('forbidden', 'This contact is blocked: they may read but not write.')
  }
  throw new Problem('forbidden', `This token lacks the permission "${permission}".`)
}

/** For the workspace's staff only (API keys and agents); a contact is refused even where `authorizeScoped` admits one. */
export function authorize(actor: Actor, permission: 'platform:workspaces'): void
export function authorize(actor: Actor, permission: Permission): StaffActor
export function authorize(
  actor: Actor,
  permission: Permission | 'platform:workspaces',
): StaffActor | undefined {
  if (actor.kind === 'contact' || !can(actor, permission)) refuse(actor, permission)
  return actor.kind === 'platform' ? undefined : (actor as StaffActor)
}

/**
 * For commands a contact may also run: the grant says whose data the caller may see. A service that
 * calls this must narrow every read and write to `grant.customer` when it is set.
 */
export function authorizeScoped(actor: Actor, permission: Permission): Grant {
  if (!can(actor, permission)) refuse(actor, permission)
  const caller = actor as StaffActor | ContactActor
  if (caller.kind !== 'contact') return { workspaceId: caller.workspaceId, actor: caller, customer: null }
  return {
    workspaceId: caller.workspaceId,
    actor: caller,
    customer: {
      contactId: caller.contactId,
      organizationId: caller.organizationRole === 'authorized' ? caller.organizationId : null,
    },
  }
}
