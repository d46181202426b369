import { Type } from '@sinclair/typebox'
import { Id, Instant, Nullable, Page, PageQuery, Slug } from '../../lib/api-schemas.ts'

export const Department = Type.Object(
  {
    id: Id,
    name: Type.String(),
    slug: Type.String(),
    description: Nullable(Type.String()),
    email: Nullable(Type.String({ description: 'The address customers write to.' })),
    public: Type.Boolean({ description: 'Offered to customers when they open a ticket.' }),
    defaultPriorityId: Nullable(Id),
    calendarId: Nullable({
      ...Id,
      description:
        "The business-hours calendar of its tickets' SLA; null: the workspace default (and for a contact).",
    }),
    position: Type.Integer(),
    memberIds: Type.Array(Id, {
      description:
        'Agents of the department (empty for a contact). With members, only they are assigned its tickets.',
    }),
    createdAt: Instant,
    updatedAt: Instant,
  },
  { $id: 'Department', additionalProperties: false },
)
export const DepartmentPage = Page(Department)

const fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  slug: Slug,
  description: Nullable(Type.String({ maxLength: 2000 })),
  email: Nullable(Type.String({ format: 'email', maxLength: 320 })),
  public: Type.Boolean(),
  defaultPriority: Nullable(
    Type.String({ minLength: 1, maxLength: 64, description: 'Priority id or slug.' }),
  ),
  calendarId: Nullable(Id),
  position: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
  memberIds: Type.Array(Id, { maxItems: 1000, uniqueItems: true }),
}
export const CreateDepartmentBody = Type.Composite(
  [
    Type.Pick(Type.Object(fields), ['name', 'slug']),
    Type.Partial(Type.Omit(Type.Object(fields), ['name', 'slug'])),
  ],
  { additionalProperties: false },
)
export const UpdateDepartmentBody = Type.Partial(Type.Object(fields), {
  additionalProperties: false,
  minProperties: 1,
})
export const CatalogParams = Type.Object({
  ref: Type.String({ minLength: 1, maxLength: 64, description: 'Id or slug.' }),
})
export const DeleteQuery = Type.Object(
  {
    moveTo: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Id or slug to move its tickets to.' }),
    ),
  },
  { additionalProperties: false },
)
export const CatalogListQuery = Type.Object(
  { ...PageQuery, limit: Type.Integer({ minimum: 1, maximum: 100, default: 100 }) },
  { additionalProperties: false },
)
