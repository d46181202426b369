import { Type } from '@sinclair/typebox'
import { Id, Instant, Locale, Nullable, Page, Slug } from '../../lib/api-schemas.ts'
import { Agent } from '../agents/schemas.ts'
import { ApiKeyWithSecret } from '../api-keys/schemas.ts'
import { ContactTokenSecretWithValue, Email, Password } from '../auth/schemas.ts'

const RateLimits = Type.Object(
  {
    apiKey: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    agent: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    contact: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  },
  {
    additionalProperties: false,
    description:
      "Requests per minute for each API key, agent and contact; an unset one uses the service's default.",
  },
)
const Origin = Type.String({
  pattern: '^https?://[^/?#\\s]+/?$',
  maxLength: 253,
  description: 'A browser origin such as `https://shop.example.com`.',
})

export const Workspace = Type.Object(
  {
    id: Id,
    slug: Slug,
    name: Type.String(),
    allowedOrigins: Type.Array(Type.String(), {
      description:
        'Browser origins the API answers (CORS) for this workspace; API keys are refused from any other.',
    }),
    rateLimits: RateLimits,
    defaultLocale: Type.String({
      description: 'The locale knowledge base readers fall back to when an article has no text in theirs.',
    }),
    createdAt: Instant,
    updatedAt: Instant,
  },
  { $id: 'Workspace', additionalProperties: false },
)

export const UpdateWorkspaceBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    allowedOrigins: Type.Optional(Type.Array(Origin, { maxItems: 100 })),
    rateLimits: Type.Optional(RateLimits),
    defaultLocale: Type.Optional(Locale),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const CreateWorkspaceBody = Type.Object(
  {
    slug: Slug,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    owner: Type.Optional(
      Type.Object(
        {
          email: Email,
          name: Type.String({ minLength: 1, maxLength: 200 }),
          password: Type.Optional(Password),
        },
        {
          additionalProperties: false,
          description:
            'The first owner agent. A person new to Atiende needs a password; one who already has an account keeps theirs.',
        },
      ),
    ),
  },
  { additionalProperties: false },
)

export const CreatedWorkspace = Type.Object(
  {
    workspace: Type.Ref(Workspace),
    apiKey: Type.Ref(ApiKeyWithSecret),
    contactTokenSecret: Type.Ref(ContactTokenSecretWithValue),
    owner: Nullable(Type.Ref(Agent)),
  },
  { $id: 'CreatedWorkspace', additionalProperties: false },
)

export const WorkspacePage = Page(Workspace)
