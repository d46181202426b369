import { Type } from '@sinclair/typebox'
import { scopes } from '../../auth/actor.ts'
import { Id, Instant, Nullable, Page, StringEnum } from '../../lib/api-schemas.ts'

export const Scope = StringEnum(scopes)

const apiKeyFields = {
  id: Id,
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the secret, to tell keys apart.' }),
  scopes: Type.Array(Scope),
  createdAt: Instant,
  lastUsedAt: Nullable(Instant),
  revokedAt: Nullable(Instant),
}

export const ApiKey = Type.Object(apiKeyFields, { $id: 'ApiKey', additionalProperties: false })

export const ApiKeyWithSecret = Type.Object(
  { ...apiKeyFields, secret: Type.String({ description: 'The key itself. Shown only in this response.' }) },
  { $id: 'ApiKeyWithSecret', additionalProperties: false },
)

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    scopes: Type.Array(Scope, { minItems: 1, uniqueItems: true }),
  },
  { additionalProperties: false },
)

export const ApiKeyPage = Page(ApiKey)
