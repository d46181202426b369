import { Type } from '@sinclair/typebox'
import { roles, scopes } from '../../auth/actor.ts'
import { Id, Instant, Nullable, StringEnum } from '../../lib/api-schemas.ts'
import { CONTACT_TOKEN_MAX_SECONDS, DEFAULT_GRACE_MINUTES } from './contact-tokens.ts'

export const Email = Type.String({ minLength: 3, maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+$' })
export const Password = Type.String({ minLength: 12, maxLength: 256, description: '12 to 256 characters.' })

export const LoginBody = Type.Object(
  {
    email: Email,
    password: Type.String({ minLength: 1, maxLength: 256 }),
    workspace: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'Slug or id; needed only when the agent belongs to several workspaces.',
      }),
    ),
  },
  { additionalProperties: false },
)

export const TokenPair = Type.Object(
  {
    tokenType: Type.Literal('Bearer'),
    accessToken: Type.String({ description: 'A JWT for `Authorization: Bearer …`.' }),
    expiresIn: Type.Integer({ description: 'Seconds the access token is valid.' }),
    refreshToken: Type.String({ description: 'Works once: refreshing returns its successor.' }),
    refreshTokenExpiresAt: Instant,
  },
  { $id: 'TokenPair', additionalProperties: false },
)

export const RefreshBody = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
)

export const LogoutBody = Type.Union([
  Type.Object(
    { refreshToken: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) },
    { additionalProperties: false },
  ),
  Type.Null(),
])

export const Me = Type.Object(
  {
    kind: StringEnum(['platform', 'apiKey', 'agent', 'contact']),
    workspaceId: Nullable(Id),
    agent: Nullable(
      Type.Object(
        { id: Id, email: Type.String(), name: Type.String(), role: StringEnum(roles) },
        { additionalProperties: false },
      ),
    ),
    contact: Nullable(Type.Ref('Contact')),
    apiKey: Nullable(
      Type.Object(
        { id: Id, name: Type.String(), prefix: Type.String(), scopes: Type.Array(StringEnum(scopes)) },
        { additionalProperties: false },
      ),
    ),
  },
  { $id: 'Me', additionalProperties: false },
)

const secretFields = { id: Id, createdAt: Instant }

export const ContactTokenSecret = Type.Object(
  {
    ...secretFields,
    expiresAt: Nullable(Instant),
  },
  {
    $id: 'ContactTokenSecret',
    additionalProperties: false,
    description: 'Current when `expiresAt` is null.',
  },
)

export const ContactTokenSecretWithValue = Type.Object(
  {
    ...secretFields,
    secret: Type.String({ description: 'HS256 key for contact tokens, with `kid` = `id`. Shown only here.' }),
  },
  { $id: 'ContactTokenSecretWithValue', additionalProperties: false },
)

export const RotatedContactTokenSecret = Type.Object(
  {
    ...secretFields,
    secret: Type.String({ description: 'The new HS256 key; shown only here.' }),
    previous: Nullable(Type.Ref(ContactTokenSecret)),
  },
  { $id: 'RotatedContactTokenSecret', additionalProperties: false },
)

export const ContactTokenSecretList = Type.Object(
  { data: Type.Array(Type.Ref(ContactTokenSecret)) },
  { $id: 'ContactTokenSecretList', additionalProperties: false },
)

export const RotateSecretBody = Type.Union([
  Type.Object(
    {
      graceMinutes: Type.Optional(
        Type.Integer({
          minimum: 0,
          maximum: 10_080,
          default: DEFAULT_GRACE_MINUTES,
          description:
            'How long the previous secret keeps verifying (default a day, the longest a token lives).',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
])

export const MintContactTokenBody = Type.Union([
  Type.Object(
    {
      expiresIn: Type.Optional(
        Type.Integer({
          minimum: 60,
          maximum: CONTACT_TOKEN_MAX_SECONDS,
          default: 3600,
          description: 'Seconds.',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
])

export const ContactToken = Type.Object(
  { token: Type.String(), expiresAt: Instant },
  { $id: 'ContactToken', additionalProperties: false },
)
