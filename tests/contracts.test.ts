import { readFileSync } from 'node:fs'
import { buildSchema, type GraphQLObjectType } from 'graphql'
import t from 'tap'
import { Agent } from '../src/modules/agents/schemas.ts'
import { Me } from '../src/modules/auth/schemas.ts'
import { Contact } from '../src/modules/contacts/schemas.ts'
import { Department } from '../src/modules/departments/schemas.ts'
import { Organization } from '../src/modules/organizations/schemas.ts'
import { Priority } from '../src/modules/priorities/schemas.ts'
import { Message, Ticket, TicketEvent } from '../src/modules/tickets/schemas.ts'
import { allLoaders, allResolvers, schemaPath } from '../src/plugins/graphql.ts'
import { renderOpenApi } from '../src/plugins/openapi.ts'
import { buildTestApp } from './helpers/app.ts'

const { app } = await buildTestApp(t)

t.test(
  'openapi/openapi.json is what the code generates (run `npm run openapi` after an API change)',
  async (t) => {
    const committed = readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8')
    t.equal(renderOpenApi(app), committed)
  },
)

t.test('every REST route is in the OpenAPI document with its errors and security', async (t) => {
  const doc = JSON.parse(renderOpenApi(app))
  const routes = app.registeredRoutes.filter((r) => r.url.startsWith('/v1/') && r.method !== 'HEAD')
  t.ok(routes.length >= 10, `found ${routes.length} routes`)
  for (const { method, url } of routes) {
    const path = url.replace(/:(\w+)/g, '{$1}')
    const op = doc.paths[path]?.[method.toLowerCase()]
    t.ok(op, `${method} ${path} is documented`)
    t.ok(op?.responses?.['400'], `${method} ${path} documents validation errors`)
    t.ok(op?.security?.length, `${method} ${path} documents its security`)
  }
  t.equal(doc.openapi, '3.1.0')
})

function resolverFields(resolvers: object, type: string) {
  return Object.keys((resolvers as Record<string, object>)[type] ?? {}).sort()
}

t.test('schema.graphql and the resolvers agree both ways', async (t) => {
  const schema = buildSchema(readFileSync(schemaPath, 'utf8'))
  for (const type of ['Query', 'Mutation']) {
    const declared = Object.keys((schema.getType(type) as GraphQLObjectType).getFields()).sort()
    t.same(
      resolverFields(allResolvers, type),
      declared,
      `${type} fields all have resolvers, and no resolver is undeclared`,
    )
  }
  // Every resolver and loader on an object type names a field the schema declares.
  for (const type of new Set([...Object.keys(allResolvers), ...Object.keys(allLoaders)])) {
    if (type === 'Query' || type === 'Mutation') continue
    const declared = (schema.getType(type) as GraphQLObjectType | undefined)?.getFields() ?? {}
    for (const field of [...resolverFields(allResolvers, type), ...resolverFields(allLoaders, type)]) {
      t.ok(declared[field], `${type}.${field} is declared`)
    }
  }
  t.same(
    app.graphql.schema.getQueryType()?.getFields() &&
      Object.keys(app.graphql.schema.getQueryType()!.getFields()).sort(),
    Object.keys((schema.getType('Query') as GraphQLObjectType).getFields()).sort(),
    'the service serves this schema',
  )
})

t.test('REST and GraphQL name the same fields the same way', async (t) => {
  const schema = buildSchema(readFileSync(schemaPath, 'utf8'))
  for (const [name, rest] of [
    ['Ticket', Ticket],
    ['Message', Message],
    ['TicketEvent', TicketEvent],
    ['Contact', Contact],
    ['Organization', Organization],
    ['Agent', Agent],
    ['Department', Department],
    ['Priority', Priority],
    ['Me', Me],
  ] as const) {
    const gql = Object.keys((schema.getType(name) as GraphQLObjectType).getFields())
    const missing = Object.keys(rest.properties).filter((field) => !gql.includes(field))
    t.same(missing, [], `every REST ${name} field is on the GraphQL ${name}`)
  }
})
