import { Type } from '@sinclair/typebox'
import { Id, Instant, Metadata, Nullable, StringEnum } from '../../lib/api-schemas.ts'

export const Contact = Type.Object(
  {
    id: Id,
    email: Nullable(Type.String()),
    name: Nullable(Type.String()),
    externalId: Nullable(Type.String()),
    phone: Nullable(Type.String()),
    locale: Nullable(Type.String()),
    organizationId: Nullable(Id),
    organizationRole: Nullable(StringEnum(['member', 'authorized'])),
    blocked: Type.Boolean(),
    metadata: Metadata,
    createdAt: Instant,
    updatedAt: Instant,
  },
  { $id: 'Contact', additionalProperties: false },
)
