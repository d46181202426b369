import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type TSchema, Type } from '@sinclair/typebox'
import { errorResponses } from '../../lib/api-schemas.ts'
import { CreatePriorityBody, Priority, PriorityPage, UpdatePriorityBody } from '../priorities/schemas.ts'
import {
  CatalogListQuery,
  CatalogParams,
  CreateDepartmentBody,
  DeleteQuery,
  Department,
  DepartmentPage,
  UpdateDepartmentBody,
} from './schemas.ts'

interface CatalogService<Input> {
  list(actor: unknown, page: { limit: number; cursor?: string | undefined }): Promise<unknown>
  get(actor: unknown, ref: string): Promise<unknown>
  create(actor: unknown, input: Input): Promise<{ id: string }>
  update(actor: unknown, ref: string, input: Partial<Input>): Promise<unknown>
  remove(actor: unknown, ref: string, moveTo: string | undefined): Promise<void>
}

/**
 * Departments and priorities: the same five routes over the same rules (read by anyone of the
 * workspace, contacts included; written by admins; deleted only with somewhere for their tickets).
 */
export const catalogRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const security = [{ bearer: [] }]
  function crud<Input>(
    path: string,
    noun: string,
    service: CatalogService<Input>,
    schemas: { item: TSchema; page: TSchema; create: TSchema; update: TSchema },
    listDescription: string,
  ) {
    const tags = [`${noun}s`.replace(/ys$/, 'ies')]
    app.get(
      path,
      {
        schema: {
          tags,
          summary: `List ${tags[0]}`,
          description: listDescription,
          security,
          querystring: CatalogListQuery,
          response: { 200: Type.Ref(schemas.page), ...errorResponses() },
        },
      },
      async (request) => service.list(request.actor, request.query),
    )
    app.post(
      path,
      {
        schema: {
          tags,
          summary: `Create a ${noun}`,
          security,
          body: schemas.create,
          response: { 201: Type.Ref(schemas.item), ...errorResponses(409) },
        },
      },
      async (request, reply) => {
        const created = await service.create(request.actor, request.body as Input)
        return reply.code(201).header('location', `${path}/${created.id}`).send(created)
      },
    )
    app.get(
      `${path}/:ref`,
      {
        schema: {
          tags,
          summary: `Get a ${noun} by id or slug`,
          security,
          params: CatalogParams,
          response: { 200: Type.Ref(schemas.item), ...errorResponses(404) },
        },
      },
      async (request) => service.get(request.actor, request.params.ref),
    )
    app.patch(
      `${path}/:ref`,
      {
        schema: {
          tags,
          summary: `Change a ${noun}`,
          security,
          params: CatalogParams,
          body: schemas.update,
          response: { 200: Type.Ref(schemas.item), ...errorResponses(404, 409) },
        },
      },
      async (request) => service.update(request.actor, request.params.ref, request.body as Partial<Input>),
    )
    app.delete(
      `${path}/:ref`,
      {
        schema: {
          tags,
          summary: `Delete a ${noun}`,
          description: `Its tickets move to \`moveTo\`; without it, a ${noun} with unsolved tickets answers 409.`,
          security,
          params: CatalogParams,
          querystring: DeleteQuery,
          response: { 204: Type.Null(), ...errorResponses(404, 409) },
        },
      },
      async (request, reply) => {
        await service.remove(request.actor, request.params.ref, request.query.moveTo)
        return reply.code(204).send(null)
      },
    )
  }

  crud(
    '/v1/departments',
    'department',
    app.services.departments as CatalogService<never>,
    { item: Department, page: DepartmentPage, create: CreateDepartmentBody, update: UpdateDepartmentBody },
    'In `position` order. A contact sees the public ones only.',
  )
  crud(
    '/v1/priorities',
    'priority',
    app.services.priorities as CatalogService<never>,
    { item: Priority, page: PriorityPage, create: CreatePriorityBody, update: UpdatePriorityBody },
    'Most urgent first.',
  )
}
