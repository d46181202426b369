import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errorResponses, PageOnlyQuery } from '../../lib/api-schemas.ts'
import {
  CreatedWorkspace,
  CreateWorkspaceBody,
  UpdateWorkspaceBody,
  Workspace,
  WorkspacePage,
} from './schemas.ts'

const security = [{ platformToken: [] }]

export const workspaceRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const workspaces = app.services.workspaces

  app.post(
    '/v1/workspaces',
    {
      config: { revealsSecret: true },
      schema: {
        tags: ['workspaces'],
        summary: 'Provision a workspace',
        description:
          'Creates a workspace with default priorities and department, and returns its owner API key once.',
        security,
        body: CreateWorkspaceBody,
        response: { 201: Type.Ref(CreatedWorkspace), ...errorResponses(409, 422) },
      },
    },
    async (request, reply) => {
      const created = await workspaces.create(request.actor, request.body)
      reply.code(201).header('location', `/v1/workspaces/${created.workspace.id}`)
      return created
    },
  )

  app.get(
    '/v1/workspaces',
    {
      schema: {
        tags: ['workspaces'],
        summary: 'List workspaces',
        security,
        querystring: PageOnlyQuery,
        response: { 200: Type.Ref(WorkspacePage), ...errorResponses() },
      },
    },
    async (request) => workspaces.list(request.actor, request.query),
  )

  app.get(
    '/v1/workspace',
    {
      schema: {
        tags: ['workspaces'],
        summary: "The caller's workspace",
        security: [{ bearer: [] }],
        response: { 200: Type.Ref(Workspace), ...errorResponses() },
      },
    },
    async (request) => workspaces.current(request.actor),
  )

  app.patch(
    '/v1/workspace',
    {
      schema: {
        tags: ['workspaces'],
        summary: "Change the caller's workspace",
        description: 'Name, allowed browser origins and rate limits (admins).',
        security: [{ bearer: [] }],
        body: UpdateWorkspaceBody,
        response: { 200: Type.Ref(Workspace), ...errorResponses() },
      },
    },
    async (request) => workspaces.update(request.actor, request.body),
  )
}
