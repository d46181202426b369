export const scopes = ['tickets:read', 'tickets:write', 'contacts:read', 'contacts:write', 'admin'] as const
export type Scope = (typeof scopes)[number]

/** Who is calling. Services take the actor first; its workspace is the only one they touch. */
export type Actor =
  | { kind: 'anonymous' }
  | { kind: 'platform' }
  | { kind: 'apiKey'; workspaceId: string; apiKeyId: string; scopes: readonly Scope[] }

export type WorkspaceActor = Extract<Actor, { workspaceId: string }>

export const anonymous: Actor = { kind: 'anonymous' }

/** Identifies the caller's credential, for idempotency keys and logs. */
export function actorScope(actor: Actor, fallback: string): string {
  switch (actor.kind) {
    case 'apiKey':
      return `key:${actor.apiKeyId}`
    case 'platform':
      return 'platform'
    case 'anonymous':
      return `anonymous:${fallback}`
  }
}
