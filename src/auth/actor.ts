export const scopes = ['tickets:read', 'tickets:write', 'contacts:read', 'contacts:write', 'admin'] as const
export type Scope = (typeof scopes)[number]

export const roles = ['owner', 'admin', 'agent', 'viewer'] as const
export type Role = (typeof roles)[number]

export type OrganizationRole = 'member' | 'authorized'

/** Who is calling. Services take the actor first; its workspace is the only one they touch. */
export type Actor =
  | { kind: 'anonymous' }
  | { kind: 'platform' }
  | { kind: 'apiKey'; workspaceId: string; apiKeyId: string; scopes: readonly Scope[] }
  | { kind: 'agent'; workspaceId: string; userId: string; role: Role; sessionId: string }
  | {
      kind: 'contact'
      workspaceId: string
      contactId: string
      organizationId: string | null
      organizationRole: OrganizationRole | null
      blocked: boolean
    }

export type WorkspaceActor = Extract<Actor, { workspaceId: string }>
/** The workspace's own side: integrations and agents, who see every ticket and every note. */
export type StaffActor = Extract<Actor, { kind: 'apiKey' | 'agent' }>
export type ContactActor = Extract<Actor, { kind: 'contact' }>

export const anonymous: Actor = { kind: 'anonymous' }

/** Identifies the caller's credential, for idempotency keys and logs. */
export function actorScope(actor: Actor, fallback: string): string {
  switch (actor.kind) {
    case 'apiKey':
      return `key:${actor.apiKeyId}`
    case 'agent':
      return `agent:${actor.workspaceId}:${actor.userId}`
    case 'contact':
      return `contact:${actor.workspaceId}:${actor.contactId}`
    case 'platform':
      return 'platform'
    case 'anonymous':
      return `anonymous:${fallback}`
  }
}

/** The id an event or a message records for the actor (the key, the agent or the contact). */
export function actorId(actor: Actor): string | null {
  switch (actor.kind) {
    case 'apiKey':
      return actor.apiKeyId
    case 'agent':
      return actor.userId
    case 'contact':
      return actor.contactId
    default:
      return null
  }
}
