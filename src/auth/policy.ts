import { Problem } from '../lib/problem.ts'
import type { Actor, Scope, WorkspaceActor } from './actor.ts'

/**
 * The one place that decides who may do what. Services call `authorize` before touching data;
 * routes and resolvers carry no rules of their own.
 */
export type Permission = 'platform:workspaces' | Scope

const implied: Record<Scope, readonly Scope[]> = {
  'tickets:read': ['tickets:read', 'tickets:write', 'admin'],
  'tickets:write': ['tickets:write', 'admin'],
  'contacts:read': ['contacts:read', 'contacts:write', 'tickets:read', 'tickets:write', 'admin'],
  'contacts:write': ['contacts:write', 'admin'],
  admin: ['admin'],
}

export function can(actor: Actor, permission: Permission): boolean {
  if (permission === 'platform:workspaces') return actor.kind === 'platform'
  if (actor.kind !== 'apiKey') return false
  return implied[permission].some((scope) => actor.scopes.includes(scope))
}

export function authorize(actor: Actor, permission: 'platform:workspaces'): void
export function authorize(actor: Actor, permission: Scope): WorkspaceActor
export function authorize(actor: Actor, permission: Permission): WorkspaceActor | undefined {
  if (actor.kind === 'anonymous') throw new Problem('unauthorized', 'A bearer token is required.')
  if (!can(actor, permission)) {
    throw new Problem('forbidden', `This token lacks the permission "${permission}".`)
  }
  return actor.kind === 'apiKey' ? actor : undefined
}
