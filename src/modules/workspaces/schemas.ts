import { Type } from '@sinclair/typebox'
import { Id, Instant, Page, Slug } from '../../lib/api-schemas.ts'
import { ApiKeyWithSecret } from '../api-keys/schemas.ts'

export const Workspace = Type.Object(
  { id: Id, slug: Slug, name: Type.String(), createdAt: Instant, updatedAt: Instant },
  { $id: 'Workspace', additionalProperties: false },
)

export const CreateWorkspaceBody = Type.Object(
  { slug: Slug, name: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
)

export const CreatedWorkspace = Type.Object(
  { workspace: Type.Ref(Workspace), apiKey: Type.Ref(ApiKeyWithSecret) },
  { $id: 'CreatedWorkspace', additionalProperties: false },
)

export const WorkspacePage = Page(Workspace)
