import { Type } from '@sinclair/typebox'
import { Id, Instant, Metadata, Nullable, Page, PageQuery } from '../../lib/api-schemas.ts'
import { OrganizationRole } from '../contacts/schemas.ts'

const Domain = Type.String({
  minLength: 3,
  maxLength: 253,
  pattern: '^@?([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\\.)+[a-zA-Z]{2,63}\\.?$',
  description: 'An e-mail domain such as `example.com`; compared without case.',
})

export const Organization = Type.Object(
  {
    id: Id,
    name: Type.String(),
    externalId: Nullable(Type.String()),
    domains: Type.Array(Type.String()),
    metadata: Metadata,
    createdAt: Instant,
    updatedAt: Instant,
  },
  { $id: 'Organization', additionalProperties: false },
)
export const OrganizationPage = Page(Organization)

const fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  externalId: Nullable(Type.String({ minLength: 1, maxLength: 200 })),
  domains: Type.Array(Domain, {
    maxItems: 100,
    description: 'A new contact whose e-mail has one of these domains joins the organization as a member.',
  }),
  metadata: Metadata,
}

export const CreateOrganizationBody = Type.Object(
  {
    name: fields.name,
    externalId: Type.Optional(fields.externalId),
    domains: Type.Optional(fields.domains),
    metadata: Type.Optional(fields.metadata),
  },
  { additionalProperties: false },
)
export const UpdateOrganizationBody = Type.Partial(Type.Object(fields), {
  additionalProperties: false,
  minProperties: 1,
})
export const OrganizationListQuery = Type.Object(
  {
    ...PageQuery,
    externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    domain: Type.Optional(Domain),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
)
export const MemberBody = Type.Object(
  { role: Type.Optional(OrganizationRole) },
  { additionalProperties: false, description: '`member` unless given.' },
)
