const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export const isUuid = (value: string) => uuidPattern.test(value)

/** A ticket is addressed by its UUID or by its per-workspace number. */
export type TicketRef = { id: string } | { number: number }

export const ticketRefPattern =
  '^([0-9]{1,9}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$'

export function parseTicketRef(value: string): TicketRef {
  return isUuid(value) ? { id: value.toLowerCase() } : { number: Number(value) }
}
