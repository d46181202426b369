import { Type } from '@sinclair/typebox'
import { Id, Instant, Nullable, Page, Slug } from '../../lib/api-schemas.ts'
import { Agent } from '../agents/schemas.ts'
import { ApiKeyWithSecret } from '../api-keys/schemas.ts'
import { ContactTokenSecretWithValue, Email, Password } from '../auth/schemas.ts'

export const Workspace = Type.Object(
  { id: Id, slug: Slug, name: Type.String(), createdAt: Instant, updatedAt: Instant },
  { $id: 'Workspace', additionalProperties: false },
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
