import { Type } from '@sinclair/typebox'
import { Id, Instant, Nullable, Page, Slug } from '../../lib/api-schemas.ts'

export const Priority = Type.Object(
  {
    id: Id,
    name: Type.String(),
    slug: Type.String(),
    rank: Type.Integer({ description: '1 is the most urgent; unique in the workspace.' }),
    color: Nullable(Type.String()),
    isDefault: Type.Boolean({ description: 'Exactly one priority is the default for new tickets.' }),
    createdAt: Instant,
    updatedAt: Instant,
  },
  { $id: 'Priority', additionalProperties: false },
)
export const PriorityPage = Page(Priority)

const fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  slug: Slug,
  rank: Type.Integer({ minimum: 1, maximum: 1000 }),
  color: Nullable(Type.String({ pattern: '^#[0-9a-fA-F]{6}$' })),
  isDefault: Type.Boolean({ description: 'Making one the default unsets the previous default.' }),
}
export const CreatePriorityBody = Type.Composite(
  [
    Type.Pick(Type.Object(fields), ['name', 'slug', 'rank']),
    Type.Partial(Type.Pick(Type.Object(fields), ['color', 'isDefault'])),
  ],
  { additionalProperties: false },
)
export const UpdatePriorityBody = Type.Partial(Type.Object(fields), {
  additionalProperties: false,
  minProperties: 1,
})
