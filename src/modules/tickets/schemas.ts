import { Type } from '@sinclair/typebox'
import { channels, ticketStatuses, ticketTypes } from '../../db/schema/index.ts'
import {
  EnumList,
  Id,
  Instant,
  Metadata,
  Nullable,
  Page,
  PageQuery,
  StringEnum,
  TokenList,
  UuidList,
} from '../../lib/api-schemas.ts'
import { ticketRefPattern } from '../../lib/refs.ts'
import { ticketSortFields } from './queries.ts'

export const TicketStatus = StringEnum(ticketStatuses)
export const TicketType = StringEnum(ticketTypes)
export const Channel = StringEnum(channels)
const Tags = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50 })

export const TicketParams = Type.Object({
  idOrNumber: Type.String({ pattern: ticketRefPattern, description: 'The ticket UUID or its number.' }),
})

export const Ticket = Type.Object(
  {
    id: Id,
    number: Type.Integer({ minimum: 1 }),
    subject: Type.String(),
    status: TicketStatus,
    type: Nullable(TicketType),
    channel: Channel,
    priority: Nullable(
      Type.Object(
        { id: Id, slug: Type.String(), name: Type.String(), rank: Type.Integer() },
        { additionalProperties: false },
      ),
    ),
    department: Nullable(
      Type.Object({ id: Id, slug: Type.String(), name: Type.String() }, { additionalProperties: false }),
    ),
    requester: Type.Object(
      {
        id: Id,
        name: Nullable(Type.String()),
        email: Nullable(Type.String()),
        externalId: Nullable(Type.String()),
      },
      { additionalProperties: false },
    ),
    organizationId: Nullable(Id),
    assigneeId: Nullable(Id),
    tags: Type.Array(Type.String()),
    externalRef: Nullable(Type.String()),
    metadata: Metadata,
    version: Type.Integer({ description: 'Increases with every change; sent as the ETag.' }),
    createdAt: Instant,
    updatedAt: Instant,
    firstRespondedAt: Nullable(Instant),
    solvedAt: Nullable(Instant),
    closedAt: Nullable(Instant),
    sla: Type.Object(
      { nextDueAt: Nullable(Instant), breached: Type.Boolean() },
      { additionalProperties: false },
    ),
  },
  { $id: 'Ticket', additionalProperties: false },
)

const MessageBodyFields = {
  body: Type.String({ minLength: 1, maxLength: 65_536, description: 'Plain text; always present.' }),
  bodyHtml: Type.Optional(
    Type.String({ minLength: 1, maxLength: 262_144, description: 'HTML; sanitized before it is stored.' }),
  ),
}

const RequesterRef = Type.Union(
  [
    Type.Object({ id: Id }, { additionalProperties: false }),
    Type.Object(
      {
        externalId: Type.String({ minLength: 1, maxLength: 200 }),
        email: Type.Optional(Type.String({ format: 'email', maxLength: 320 })),
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        email: Type.String({ format: 'email', maxLength: 320 }),
        name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'An existing contact by id, or one found or created by externalId or e-mail.' },
)

export const CreateTicketBody = Type.Object(
  {
    subject: Type.String({ minLength: 1, maxLength: 500 }),
    message: Type.Object(MessageBodyFields, { additionalProperties: false }),
    requester: Type.Optional(RequesterRef),
    priority: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Priority id or slug.' }),
    ),
    department: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Department id or slug.' }),
    ),
    type: Type.Optional(TicketType),
    channel: Type.Optional(Channel),
    tags: Type.Optional(Tags),
    externalRef: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: "e.g. the shop's order id" }),
    ),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
)

export const UpdateTicketBody = Type.Object(
  {
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    status: Type.Optional(TicketStatus),
    priority: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    department: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    assigneeId: Type.Optional(Nullable(Id)),
    tags: Type.Optional(Tags),
    type: Type.Optional(Nullable(TicketType)),
    externalRef: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200 }))),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const TicketListQuery = Type.Object(
  {
    status: Type.Optional(EnumList(ticketStatuses)),
    priority: Type.Optional(TokenList),
    departmentId: Type.Optional(UuidList),
    assigneeId: Type.Optional(UuidList),
    assignee: Type.Optional(
      Type.String({
        pattern: '^(me|none|[0-9a-fA-F-]{36})(,(me|none|[0-9a-fA-F-]{36}))*$',
        description: 'Comma-separated: `me` (the calling agent), `none` (unassigned), agent ids.',
      }),
    ),
    requesterId: Type.Optional(UuidList),
    organizationId: Type.Optional(UuidList),
    tag: Type.Optional(TokenList),
    externalRef: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    createdAfter: Type.Optional(Instant),
    updatedAfter: Type.Optional(Instant),
    slaBreached: Type.Optional(
      Type.Boolean({
        description: 'Only tickets that have (true) or have not (false) breached an SLA target.',
      }),
    ),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    sort: Type.Optional(
      StringEnum(
        ticketSortFields.flatMap((f) => [f, `-${f}`]),
        { default: '-createdAt' },
      ),
    ),
    ...PageQuery,
  },
  { additionalProperties: false },
)

export const Message = Type.Object(
  {
    id: Id,
    ticketId: Id,
    visibility: StringEnum(['public', 'internal']),
    authorKind: StringEnum(['agent', 'contact', 'integration', 'system']),
    authorId: Nullable(Id),
    body: Type.String(),
    bodyHtml: Nullable(Type.String()),
    channel: Channel,
    createdAt: Instant,
  },
  { $id: 'Message', additionalProperties: false },
)

export const AddMessageBody = Type.Object(
  {
    ...MessageBodyFields,
    visibility: Type.Optional(StringEnum(['public', 'internal'], { default: 'public' })),
    author: Type.Optional(
      Type.Union(
        [Type.Literal('requester'), Type.Object({ contactId: Id }, { additionalProperties: false })],
        { description: "Set when an integration relays the customer's own words." },
      ),
    ),
  },
  { additionalProperties: false },
)

export const TicketEvent = Type.Object(
  {
    id: Id,
    seq: Type.Integer(),
    type: Type.String(),
    actor: Type.Object({ kind: Type.String(), id: Nullable(Id) }, { additionalProperties: false }),
    changes: Type.Record(Type.String(), Type.Array(Type.Unknown(), { minItems: 2, maxItems: 2 }), {
      description: '{ field: [from, to] }',
    }),
    data: Type.Record(Type.String(), Type.Unknown()),
    createdAt: Instant,
  },
  { $id: 'TicketEvent', additionalProperties: false },
)

export const TicketPage = Page(Ticket)
export const MessagePage = Page(Message)
export const TicketEventPage = Page(TicketEvent)
