import { Type } from '@sinclair/typebox'
import { Id, Instant, Metadata, Nullable, Page, PageQuery, StringEnum } from '../../lib/api-schemas.ts'

export const OrganizationRole = StringEnum(['member', 'authorized'], {
  description: '`authorized` members see and open tickets for the whole organization.',
})

export const Contact = Type.Object(
  {
    id: Id,
    email: Nullable(Type.String()),
    name: Nullable(Type.String()),
    externalId: Nullable(Type.String()),
    phone: Nullable(Type.String()),
    locale: Nullable(Type.String()),
    organizationId: Nullable(Id),
    organizationRole: Nullable(OrganizationRole),
    blocked: Type.Boolean(),
    metadata: Metadata,
    createdAt: Instant,
    updatedAt: Instant,
  },
  { $id: 'Contact', additionalProperties: false },
)
export const ContactPage = Page(Contact)

const Email = Type.String({ format: 'email', maxLength: 320 })
const ExternalId = Type.String({ minLength: 1, maxLength: 200 })
const fields = {
  email: Nullable(Email),
  name: Nullable(Type.String({ minLength: 1, maxLength: 200 })),
  phone: Nullable(Type.String({ minLength: 3, maxLength: 40, pattern: '^\\+?[0-9 ().-]+$' })),
  locale: Nullable(Type.String({ pattern: '^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$', maxLength: 35 })),
  organizationId: Nullable(Id),
  organizationRole: Nullable(OrganizationRole),
  blocked: Type.Boolean({ description: 'A blocked contact may read but not write.' }),
  metadata: Metadata,
}
const optional = Type.Partial(Type.Object(fields)).properties

export const CreateContactBody = Type.Object(
  { ...optional, externalId: Type.Optional(Nullable(ExternalId)) },
  {
    additionalProperties: false,
    description:
      'Needs an e-mail, an externalId or a phone. Without an organization, one that claims the e-mail domain takes the contact in.',
  },
)
export const UpdateContactBody = Type.Object(
  { ...optional, externalId: Type.Optional(Nullable(ExternalId)) },
  { additionalProperties: false, minProperties: 1 },
)
export const UpsertContactBody = Type.Object(optional, { additionalProperties: false })
export const ExternalIdParams = Type.Object({ externalId: ExternalId })

export const ContactListQuery = Type.Object(
  {
    ...PageQuery,
    email: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
    externalId: Type.Optional(ExternalId),
    organizationId: Type.Optional(Id),
    blocked: Type.Optional(Type.Boolean()),
    q: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Part of the name or e-mail.' }),
    ),
  },
  { additionalProperties: false },
)
