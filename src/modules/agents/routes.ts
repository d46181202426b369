import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { Role } from '../../auth/actor.ts'
import { errorResponses, Id, splitList } from '../../lib/api-schemas.ts'
import { Agent, AgentListQuery, AgentPage, CreateAgentBody, UpdateAgentBody } from './schemas.ts'

export const agentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const agents = app.services.agents
  const tags = ['agents']
  const security = [{ bearer: [] }]
  const params = Type.Object({ id: Id })

  app.post(
    '/v1/agents',
    {
      schema: {
        tags,
        summary: 'Add an agent',
        description:
          'Adds a person to the workspace with a role. A person new to Atiende needs a password; one who already signs in to another workspace keeps theirs.',
        security,
        body: CreateAgentBody,
        response: { 201: Type.Ref(Agent), ...errorResponses(409, 422) },
      },
    },
    async (request, reply) => {
      const agent = await agents.create(request.actor, request.body)
      return reply.code(201).header('location', `/v1/agents/${agent.id}`).send(agent)
    },
  )

  app.get(
    '/v1/agents',
    {
      schema: {
        tags,
        summary: 'List agents',
        security,
        querystring: AgentListQuery,
        response: { 200: Type.Ref(AgentPage), ...errorResponses() },
      },
    },
    async (request) => {
      const { limit, cursor, role, active, departmentId } = request.query
      return agents.list(
        request.actor,
        { role: splitList(role) as Role[] | undefined, active, departmentId },
        { limit, cursor },
      )
    },
  )

  app.get(
    '/v1/agents/:id',
    {
      schema: {
        tags,
        summary: 'Get an agent',
        security,
        params,
        response: { 200: Type.Ref(Agent), ...errorResponses(404) },
      },
    },
    async (request) => agents.get(request.actor, request.params.id),
  )

  app.patch(
    '/v1/agents/:id',
    {
      schema: {
        tags,
        summary: 'Change an agent',
        description:
          'Role, name, departments, or `active: false` to deactivate (their sessions end at once). Only owners make, unmake or deactivate owners; the last active owner stays.',
        security,
        params,
        body: UpdateAgentBody,
        response: { 200: Type.Ref(Agent), ...errorResponses(404, 409) },
      },
    },
    async (request) => agents.update(request.actor, request.params.id, request.body),
  )
}
