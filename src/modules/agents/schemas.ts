import { Type } from '@sinclair/typebox'
import { roles } from '../../auth/actor.ts'
import { EnumList, Id, Instant, Nullable, Page, PageQuery, StringEnum } from '../../lib/api-schemas.ts'
import { Email, Password } from '../auth/schemas.ts'

export const Role = StringEnum(roles)

export const Agent = Type.Object(
  {
    id: Id,
    email: Type.String(),
    name: Type.String(),
    role: Role,
    active: Type.Boolean({
      description: 'False once deactivated: the agent cannot sign in and their tokens stop working.',
    }),
    departmentIds: Type.Array(Id),
    createdAt: Instant,
    updatedAt: Instant,
    deactivatedAt: Nullable(Instant),
  },
  { $id: 'Agent', additionalProperties: false },
)
export const AgentPage = Page(Agent)

const Name = Type.String({ minLength: 1, maxLength: 200 })
const DepartmentIds = Type.Array(Id, { maxItems: 100, uniqueItems: true })

export const CreateAgentBody = Type.Object(
  {
    email: Email,
    name: Name,
    role: Role,
    password: Type.Optional(Password),
    departmentIds: Type.Optional(DepartmentIds),
  },
  { additionalProperties: false },
)

export const UpdateAgentBody = Type.Object(
  {
    name: Type.Optional(Name),
    role: Type.Optional(Role),
    active: Type.Optional(Type.Boolean()),
    departmentIds: Type.Optional(DepartmentIds),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const AgentListQuery = Type.Object(
  {
    ...PageQuery,
    role: Type.Optional(EnumList(roles)),
    active: Type.Optional(Type.Boolean()),
    departmentId: Type.Optional(Id),
  },
  { additionalProperties: false },
)
