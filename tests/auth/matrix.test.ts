/**
 * The permission model, proven on real requests: every registered route (and every GraphQL
 * operation, in graphql-matrix.test.ts) × every kind of caller, with the outcome each must get.
 * A route without a row fails the suite, so a new route cannot ship without deciding who may use it.
 *
 * Besides the status, every response is searched for what the caller must never see: an internal
 * note, a ticket of another customer, any identifier of another workspace.
 */
import t from 'tap'
import { AGENT_PASSWORD, buildTestApp, type Client, type Response, ticketBody } from '../helpers/app.ts'
import {
  type ActorName,
  actorNames,
  admins,
  agents,
  contactReadKeys,
  contactsAll,
  contactWriteKeys,
  everyone,
  expect,
  forbiddenTexts,
  keysOf,
  type Outcome,
  others,
  outcomeOf,
  platformOnly,
  publicRoute,
  readKeys,
  setUpWorld,
  type World,
  writeKeys,
  writers,
} from './world.ts'

const ctx = await buildTestApp(t)
const world = await setUpWorld(ctx)

interface Cell {
  method: string
  url: string
  body?: unknown
  /** Sends with this token instead of the actor's (a fresh session of the same agent, say). */
  token?: string
  headers?: Record<string, string>
}

interface Row {
  request: (w: World, actor: ActorName) => Promise<Cell> | Cell
  expect: Partial<Record<ActorName, Outcome>>
}

/** Routes on a workspace resource by id: others' keys and agents hold the permission but find nothing. */
const byId = (ok: readonly ActorName[], notFound: readonly ActorName[] = others) =>
  expect(['ok', ok], ['not_found', notFound])

const ticketUrl = (w: World) => `/v1/tickets/${w.ticketA.id}`

const rows: Record<string, Row> = {
  // Operations and documentation: open to anyone, token or not.
  'GET /metrics': { request: () => ({ method: 'GET', url: '/metrics' }), expect: publicRoute },
  'GET /healthz': { request: () => ({ method: 'GET', url: '/healthz' }), expect: publicRoute },
  'GET /readyz': { request: () => ({ method: 'GET', url: '/readyz' }), expect: publicRoute },
  'GET /openapi.json': { request: () => ({ method: 'GET', url: '/openapi.json' }), expect: publicRoute },
  'GET /docs': { request: () => ({ method: 'GET', url: '/docs' }), expect: publicRoute },
  'GET /docs/static/index.html': {
    request: () => ({ method: 'GET', url: '/docs/static/index.html' }),
    expect: publicRoute,
  },
  'GET /docs/static/swagger-initializer.js': {
    request: () => ({ method: 'GET', url: '/docs/static/swagger-initializer.js' }),
    expect: publicRoute,
  },
  'GET /docs/json': { request: () => ({ method: 'GET', url: '/docs/json' }), expect: publicRoute },
  'GET /docs/yaml': { request: () => ({ method: 'GET', url: '/docs/yaml' }), expect: publicRoute },
  'GET /docs/static/*': {
    request: () => ({ method: 'GET', url: '/docs/static/swagger-ui.css' }),
    expect: publicRoute,
  },
  'GET /problems/:code': {
    request: () => ({ method: 'GET', url: '/problems/forbidden' }),
    expect: publicRoute,
  },
  'GET /graphiql': { request: () => ({ method: 'GET', url: '/graphiql' }), expect: publicRoute },
  'GET /graphiql/main.js': {
    request: () => ({ method: 'GET', url: '/graphiql/main.js' }),
    expect: publicRoute,
  },
  'GET /graphiql/sw.js': { request: () => ({ method: 'GET', url: '/graphiql/sw.js' }), expect: publicRoute },
  'GET /graphiql/config.js': {
    request: () => ({ method: 'GET', url: '/graphiql/config.js' }),
    expect: publicRoute,
  },
  // The GraphQL endpoint itself answers anyone; each operation has its own rows (graphql-matrix.test.ts).
  'GET /graphql': {
    request: () => ({ method: 'GET', url: '/graphql?query=%7B__typename%7D' }),
    expect: publicRoute,
  },
  'POST /graphql': {
    request: () => ({ method: 'POST', url: '/graphql', body: { query: '{ __typename }' } }),
    expect: publicRoute,
  },

  // Provisioning: the platform operator alone.
  'POST /v1/workspaces': {
    request: (w, actor) => ({
      method: 'POST',
      url: '/v1/workspaces',
      body: { slug: `m-${actor.replace(/[^a-z]/gi, '').toLowerCase()}-${w.run}`, name: 'Matrix' },
    }),
    expect: platformOnly,
  },
  'GET /v1/workspaces': { request: () => ({ method: 'GET', url: '/v1/workspaces' }), expect: platformOnly },

  // The workspace and its credentials.
  'PATCH /v1/workspace': {
    request: () => ({ method: 'PATCH', url: '/v1/workspace', body: { name: 'Renamed' } }),
    expect: expect(['ok', [...admins, 'key:admin', ...others]]),
  },
  // CORS preflights carry no token, whoever sends the request that follows.
  'OPTIONS *': {
    request: () => ({
      method: 'OPTIONS',
      url: '/v1/tickets',
      headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST' },
    }),
    expect: publicRoute,
  },
  'GET /v1/workspace': {
    request: () => ({ method: 'GET', url: '/v1/workspace' }),
    expect: expect(['ok', [...agents, ...contactReadKeys, 'key:contacts:write', ...others]]),
  },
  'POST /v1/api-keys': {
    request: () => ({ method: 'POST', url: '/v1/api-keys', body: { name: 'm', scopes: ['tickets:read'] } }),
    expect: expect(['ok', [...admins, 'key:admin', ...others]]),
  },
  'GET /v1/api-keys': {
    request: () => ({ method: 'GET', url: '/v1/api-keys' }),
    expect: expect(['ok', [...admins, 'key:admin', ...others]]),
  },
  'DELETE /v1/api-keys/:id': {
    request: async (w) => ({ method: 'DELETE', url: `/v1/api-keys/${await w.freshApiKey()}` }),
    expect: byId([...admins, 'key:admin']),
  },
  'GET /v1/workspace/contact-token-secrets': {
    request: () => ({ method: 'GET', url: '/v1/workspace/contact-token-secrets' }),
    expect: expect(['ok', [...admins, 'key:admin', ...others]]),
  },
  // Rotating with a full day of grace keeps the contacts' tokens of this run working.
  'POST /v1/workspace/contact-token-secrets': {
    request: () => ({
      method: 'POST',
      url: '/v1/workspace/contact-token-secrets',
      body: { graceMinutes: 1440 },
    }),
    expect: expect(['ok', [...admins, 'key:admin', ...others]]),
  },

  // Sign-in: open to anyone; what matters is the credential in the body.
  'POST /v1/auth/login': {
    request: (w) => ({
      method: 'POST',
      url: '/v1/auth/login',
      body: { email: w.loginOnly.email, password: AGENT_PASSWORD },
    }),
    expect: publicRoute,
  },
  'POST /v1/auth/refresh': {
    request: async (w) => ({
      method: 'POST',
      url: '/v1/auth/refresh',
      body: { refreshToken: (await w.freshSession(w.loginOnly.email)).refreshToken },
    }),
    expect: publicRoute,
  },
  // An agent ends a session of their own (a fresh one, so the matrix keeps its tokens); anyone else has
  // nothing to end without a refresh token.
  'POST /v1/auth/logout': {
    request: async (w, actor) => {
      const agent = w.agentEmails[actor]
      const token = agent ? (await w.freshSession(agent)).accessToken : undefined
      return { method: 'POST', url: '/v1/auth/logout', body: {}, ...(token && { token }) }
    },
    expect: expect(
      ['ok', [...agents, 'otherAgent']],
      ['validation', ['platform', ...contactsAll, ...keysOf(), 'otherKey']],
    ),
  },
  'GET /v1/me': { request: () => ({ method: 'GET', url: '/v1/me' }), expect: expect(['ok', everyone]) },

  // Agents.
  'POST /v1/agents': {
    request: (w) => ({
      method: 'POST',
      url: '/v1/agents',
      body: { email: w.uniqueEmail(), name: 'New', role: 'agent', password: AGENT_PASSWORD },
    }),
    expect: expect(['ok', [...admins, 'key:admin', ...others]]),
  },
  'GET /v1/agents': {
    request: () => ({ method: 'GET', url: '/v1/agents' }),
    expect: expect(['ok', [...agents, ...readKeys, ...others]]),
  },
  'GET /v1/agents/:id': {
    request: (w) => ({ method: 'GET', url: `/v1/agents/${w.agentIds.agent}` }),
    expect: byId([...agents, ...readKeys]),
  },
  'PATCH /v1/agents/:id': {
    request: async (w) => ({
      method: 'PATCH',
      url: `/v1/agents/${await w.freshAgent()}`,
      body: { name: 'Renamed' },
    }),
    expect: byId([...admins, 'key:admin']),
  },

  // Contacts: the staff's, never a contact's.
  'POST /v1/contacts': {
    request: (w) => ({ method: 'POST', url: '/v1/contacts', body: { email: w.uniqueEmail() } }),
    expect: expect(['ok', [...writers, ...contactWriteKeys, ...others]]),
  },
  'GET /v1/contacts': {
    request: () => ({ method: 'GET', url: '/v1/contacts' }),
    expect: expect(['ok', [...agents, ...contactReadKeys, ...others]]),
  },
  'GET /v1/contacts/:id': {
    request: (w) => ({ method: 'GET', url: `/v1/contacts/${w.contacts.contactA.id}` }),
    expect: byId([...agents, ...contactReadKeys]),
  },
  'PATCH /v1/contacts/:id': {
    request: async (w) => ({
      method: 'PATCH',
      url: `/v1/contacts/${await w.freshContact()}`,
      body: { name: 'R' },
    }),
    expect: byId([...writers, ...contactWriteKeys]),
  },
  'DELETE /v1/contacts/:id': {
    request: async (w) => ({ method: 'DELETE', url: `/v1/contacts/${await w.freshContact()}` }),
    expect: byId([...writers, ...contactWriteKeys]),
  },
  'GET /v1/contacts/by-external-id/:externalId': {
    request: (w) => ({
      method: 'GET',
      url: `/v1/contacts/by-external-id/${w.contacts.contactA.externalId}`,
    }),
    expect: byId([...agents, ...contactReadKeys]),
  },
  // An upsert names its own key, so another workspace's caller creates a contact of their own.
  'PUT /v1/contacts/by-external-id/:externalId': {
    request: (w) => ({
      method: 'PUT',
      url: `/v1/contacts/by-external-id/${w.contacts.contactA.externalId}`,
      body: { locale: 'es' },
    }),
    expect: expect(['ok', [...writers, ...contactWriteKeys, ...others]]),
  },
  'POST /v1/contacts/:id/token': {
    request: (w) => ({ method: 'POST', url: `/v1/contacts/${w.contacts.contactA.id}/token`, body: {} }),
    expect: byId([...admins, ...writeKeys]),
  },
  'GET /v1/contacts/:id/tickets': {
    request: (w) => ({ method: 'GET', url: `/v1/contacts/${w.contacts.contactA.id}/tickets` }),
    expect: byId([...agents, ...readKeys]),
  },

  // Organizations.
  'POST /v1/organizations': {
    request: () => ({ method: 'POST', url: '/v1/organizations', body: { name: 'New Co' } }),
    expect: expect(['ok', [...writers, ...contactWriteKeys, ...others]]),
  },
  'GET /v1/organizations': {
    request: () => ({ method: 'GET', url: '/v1/organizations' }),
    expect: expect(['ok', [...agents, ...contactReadKeys, ...others]]),
  },
  'GET /v1/organizations/:id': {
    request: (w) => ({ method: 'GET', url: `/v1/organizations/${w.orgX}` }),
    expect: byId([...agents, ...contactReadKeys]),
  },
  'PATCH /v1/organizations/:id': {
    request: (w) => ({
      method: 'PATCH',
      url: `/v1/organizations/${w.orgX}`,
      body: { metadata: { tier: 'gold' } },
    }),
    expect: byId([...writers, ...contactWriteKeys]),
  },
  'DELETE /v1/organizations/:id': {
    request: async (w) => ({ method: 'DELETE', url: `/v1/organizations/${await w.freshOrganization()}` }),
    expect: byId([...writers, ...contactWriteKeys]),
  },
  'GET /v1/organizations/:id/members': {
    request: (w) => ({ method: 'GET', url: `/v1/organizations/${w.orgX}/members` }),
    expect: byId([...agents, ...contactReadKeys]),
  },
  'PUT /v1/organizations/:id/members/:contactId': {
    request: async (w) => ({
      method: 'PUT',
      url: `/v1/organizations/${w.orgY}/members/${await w.freshContact()}`,
      body: { role: 'member' },
    }),
    expect: byId([...writers, ...contactWriteKeys]),
  },
  'DELETE /v1/organizations/:id/members/:contactId': {
    request: async (w) => {
      const contact = await w.freshContact()
      await w.admin.put(`/v1/organizations/${w.orgY}/members/${contact}`, {})
      return { method: 'DELETE', url: `/v1/organizations/${w.orgY}/members/${contact}` }
    },
    expect: byId([...writers, ...contactWriteKeys]),
  },
  'GET /v1/organizations/:id/tickets': {
    request: (w) => ({ method: 'GET', url: `/v1/organizations/${w.orgX}/tickets` }),
    expect: byId([...agents, ...readKeys]),
  },

  // Departments and priorities: read by the whole workspace, contacts included; written by admins.
  'GET /v1/departments': {
    request: () => ({ method: 'GET', url: '/v1/departments' }),
    expect: expect(['ok', everyone.filter((a) => a !== 'platform')]),
  },
  'POST /v1/departments': {
    request: (w) => ({ method: 'POST', url: '/v1/departments', body: { name: 'D', slug: w.uniqueSlug() } }),
    expect: expect(['ok', [...admins, 'key:admin', ...others]]),
  },
  // A hidden department does not exist for a contact.
  'GET /v1/departments/:ref': {
    request: () => ({ method: 'GET', url: '/v1/departments/hidden' }),
    expect: expect(['ok', [...agents, ...keysOf()]], ['not_found', [...contactsAll, ...others]]),
  },
  'PATCH /v1/departments/:ref': {
    request: () => ({ method: 'PATCH', url: '/v1/departments/hidden', body: { description: 'Back office' } }),
    expect: byId([...admins, 'key:admin']),
  },
  'DELETE /v1/departments/:ref': {
    request: async (w) => ({ method: 'DELETE', url: `/v1/departments/${await w.freshDepartment()}` }),
    expect: byId([...admins, 'key:admin']),
  },
  'GET /v1/priorities': {
    request: () => ({ method: 'GET', url: '/v1/priorities' }),
    expect: expect(['ok', everyone.filter((a) => a !== 'platform')]),
  },
  'POST /v1/priorities': {
    request: (w) => ({
      method: 'POST',
      url: '/v1/priorities',
      body: { name: 'P', slug: w.uniqueSlug(), rank: w.uniqueRank() },
    }),
    expect: expect(['ok', [...admins, 'key:admin', ...others]]),
  },
  'GET /v1/priorities/:ref': {
    request: (w) => ({ method: 'GET', url: `/v1/priorities/${w.priorityHigh}` }),
    expect: byId([...agents, ...keysOf(), ...contactsAll]),
  },
  'PATCH /v1/priorities/:ref': {
    request: (w) => ({
      method: 'PATCH',
      url: `/v1/priorities/${w.priorityHigh}`,
      body: { color: '#ff0000' },
    }),
    expect: byId([...admins, 'key:admin']),
  },
  'DELETE /v1/priorities/:ref': {
    request: async (w) => ({ method: 'DELETE', url: `/v1/priorities/${await w.freshPriority()}` }),
    expect: byId([...admins, 'key:admin']),
  },

  // Business hours: read by the whole workspace, contacts included (a shop may show its opening
  // hours); written by admins. SLA policies and the report are the staff's; policies written by admins.
  'GET /v1/business-hours': {
    request: () => ({ method: 'GET', url: '/v1/business-hours' }),
    expect: expect(['ok', everyone.filter((a) => a !== 'platform')]),
  },
  'POST /v1/business-hours': {
    request: (w) => ({
      method: 'POST',
      url: '/v1/business-hours',
      body: {
        name: `C ${w.uniqueSlug()}`,
        timeZone: 'UTC',
        intervals: [{ day: 'friday', start: '08:00', end: '12:00' }],
      },
    }),
    expect: expect(['ok', [...admins, 'key:admin', ...others]]),
  },
  'GET /v1/business-hours/:id': {
    request: (w) => ({ method: 'GET', url: `/v1/business-hours/${w.calendarId}` }),
    expect: byId([...agents, ...keysOf(), ...contactsAll]),
  },
  'PATCH /v1/business-hours/:id': {
    request: (w) => ({
      method: 'PATCH',
      url: `/v1/business-hours/${w.calendarId}`,
      body: { name: 'Office hours' },
    }),
    expect: byId([...admins, 'key:admin']),
  },
  'DELETE /v1/business-hours/:id': {
    request: async (w) => ({ method: 'DELETE', url: `/v1/business-hours/${await w.freshCalendar()}` }),
    expect: byId([...admins, 'key:admin']),
  },
  'GET /v1/sla-policies': {
    request: () => ({ method: 'GET', url: '/v1/sla-policies' }),
    expect: expect(['ok', [...agents, ...keysOf(), ...others]]),
  },
  'POST /v1/sla-policies': {
    request: (w) => ({
      method: 'POST',
      url: '/v1/sla-policies',
      body: {
        name: `P ${w.uniqueSlug()}`,
        conditions: { tagsAny: ['matrix'] },
        targets: [{ metric: 'resolution', minutes: 600 }],
      },
    }),
    expect: expect(['ok', [...admins, 'key:admin', ...others]]),
  },
  'GET /v1/sla-policies/:id': {
    request: (w) => ({ method: 'GET', url: `/v1/sla-policies/${w.policyId}` }),
    expect: byId([...agents, ...keysOf()]),
  },
  'PATCH /v1/sla-policies/:id': {
    request: (w) => ({ method: 'PATCH', url: `/v1/sla-policies/${w.policyId}`, body: { name: 'Standard' } }),
    expect: byId([...admins, 'key:admin']),
  },
  'DELETE /v1/sla-policies/:id': {
    request: async (w) => ({ method: 'DELETE', url: `/v1/sla-policies/${await w.freshPolicy()}` }),
    expect: byId([...admins, 'key:admin']),
  },
  // Another workspace's admin names policies it does not have: a validation error, never a reorder here.
  'POST /v1/sla-policies/reorder': {
    request: async (w) => {
      const page = await w.admin.get('/v1/sla-policies?limit=100')
      return {
        method: 'POST',
        url: '/v1/sla-policies/reorder',
        body: { ids: page.body.data.map((p: { id: string }) => p.id) },
      }
    },
    expect: expect(['ok', [...admins, 'key:admin']], ['validation', others]),
  },
  'GET /v1/reports/sla': {
    request: () => ({ method: 'GET', url: '/v1/reports/sla?groupBy=department' }),
    expect: expect(['ok', [...agents, ...keysOf(), ...others]]),
  },

  // The knowledge base: read by the whole workspace (contacts see what is published for them), written
  // and published by agents and admin keys; its public API answers anyone, token or not.
  'GET /v1/kb/categories': {
    request: () => ({ method: 'GET', url: '/v1/kb/categories' }),
    expect: expect(['ok', [...agents, ...keysOf(), ...contactsAll, ...others]]),
  },
  'POST /v1/kb/categories': {
    request: (w) => ({
      method: 'POST',
      url: '/v1/kb/categories',
      body: { translations: [{ locale: 'es', name: 'Nueva', slug: w.uniqueSlug() }] },
    }),
    expect: expect(['ok', [...writers, 'key:admin', ...others]]),
  },
  'GET /v1/kb/categories/:ref': {
    request: (w) => ({ method: 'GET', url: `/v1/kb/categories/${w.kb.publicCategoryId}` }),
    expect: byId([...agents, ...keysOf(), ...contactsAll]),
  },
  'PATCH /v1/kb/categories/:ref': {
    request: (w) => ({
      method: 'PATCH',
      url: `/v1/kb/categories/${w.kb.internalCategoryId}`,
      body: { position: 1 },
    }),
    expect: byId([...writers, 'key:admin']),
  },
  'DELETE /v1/kb/categories/:ref': {
    request: async (w) => ({ method: 'DELETE', url: `/v1/kb/categories/${await w.freshKbCategory()}` }),
    expect: byId([...writers, 'key:admin']),
  },
  'GET /v1/kb/articles': {
    request: () => ({ method: 'GET', url: '/v1/kb/articles' }),
    expect: expect(['ok', [...agents, ...keysOf(), ...contactsAll, ...others]]),
  },
  // Another workspace's caller names a category that is not theirs.
  'POST /v1/kb/articles': {
    request: (w) => ({
      method: 'POST',
      url: '/v1/kb/articles',
      body: {
        categoryId: w.kb.internalCategoryId,
        visibility: 'internal',
        translations: [{ locale: 'es', title: 'Nuevo', body: 'x' }],
      },
    }),
    expect: expect(['ok', [...writers, 'key:admin']], ['validation', others]),
  },
  'POST /v1/kb/articles/from-ticket': {
    request: (w) => ({
      method: 'POST',
      url: '/v1/kb/articles/from-ticket',
      body: { ticket: w.ticketA.id, categoryId: w.kb.internalCategoryId, locale: 'es' },
    }),
    expect: expect(['ok', [...writers, 'key:admin']], ['validation', others]),
  },
  'GET /v1/kb/articles/:id': {
    request: (w) => ({ method: 'GET', url: `/v1/kb/articles/${w.kb.publicArticleId}` }),
    expect: byId([...agents, ...keysOf(), ...contactsAll]),
  },
  'PATCH /v1/kb/articles/:id': {
    request: (w) => ({
      method: 'PATCH',
      url: `/v1/kb/articles/${w.kb.internalArticleId}`,
      body: { tags: ['matrix'] },
    }),
    expect: byId([...writers, 'key:admin']),
  },
  'DELETE /v1/kb/articles/:id': {
    request: async (w) => ({ method: 'DELETE', url: `/v1/kb/articles/${await w.freshKbArticle()}` }),
    expect: byId([...writers, 'key:admin']),
  },
  'GET /v1/kb/articles/:id/translations/:locale': {
    request: (w) => ({ method: 'GET', url: `/v1/kb/articles/${w.kb.publicArticleId}/translations/es` }),
    expect: byId([...agents, ...keysOf(), ...contactsAll]),
  },
  'PUT /v1/kb/articles/:id/translations/:locale': {
    request: (w) => ({
      method: 'PUT',
      url: `/v1/kb/articles/${w.kb.internalArticleId}/translations/ca`,
      body: { title: 'Reemborsaments', body: 'Esborrany' },
    }),
    expect: byId([...writers, 'key:admin']),
  },
  'DELETE /v1/kb/articles/:id/translations/:locale': {
    request: async (w) => ({
      method: 'DELETE',
      url: `/v1/kb/articles/${await w.freshKbArticle()}/translations/fr`,
    }),
    expect: byId([...writers, 'key:admin']),
  },
  'POST /v1/kb/articles/:id/translations/:locale/publish': {
    request: async (w) => ({
      method: 'POST',
      url: `/v1/kb/articles/${await w.freshKbArticle()}/translations/es/publish`,
    }),
    expect: byId([...writers, 'key:admin']),
  },
  'DELETE /v1/kb/articles/:id/translations/:locale/draft': {
    request: async (w) => ({
      method: 'DELETE',
      url: `/v1/kb/articles/${await w.freshKbArticle()}/translations/fr/draft`,
    }),
    expect: byId([...writers, 'key:admin']),
  },
  // Versions and restores are the staff's: a contact never sees text that is no longer published.
  'GET /v1/kb/articles/:id/versions': {
    request: (w) => ({ method: 'GET', url: `/v1/kb/articles/${w.kb.publicArticleId}/versions` }),
    expect: byId([...agents, ...keysOf()]),
  },
  'POST /v1/kb/articles/:id/translations/:locale/versions/:version/restore': {
    request: (w) => ({
      method: 'POST',
      url: `/v1/kb/articles/${w.kb.internalArticleId}/translations/es/versions/1/restore`,
    }),
    expect: byId([...writers, 'key:admin']),
  },
  // A contact votes as themselves; staff relay an anonymous reader's vote with its session key.
  'POST /v1/kb/articles/:id/feedback': {
    request: (w) => ({
      method: 'POST',
      url: `/v1/kb/articles/${w.kb.publicArticleId}/feedback`,
      body: { helpful: true, sessionKey: `matrix-session-${w.run}` },
    }),
    expect: expect(
      ['ok', [...agents, ...keysOf(), 'contactA', 'contactB', 'memberX', 'authorizedX']],
      ['not_found', others],
    ),
  },
  'GET /v1/kb/search': {
    request: () => ({ method: 'GET', url: '/v1/kb/search?q=reembolso&locale=es' }),
    expect: expect(['ok', [...agents, ...keysOf(), ...contactsAll, ...others]]),
  },
  'POST /v1/kb/suggestions': {
    request: () => ({ method: 'POST', url: '/v1/kb/suggestions', body: { subject: 'Quiero un reembolso' } }),
    expect: expect(['ok', [...agents, ...keysOf(), ...contactsAll, ...others]]),
  },
  'POST /v1/kb/suggestions/:id/outcomes': {
    request: (w) => ({
      method: 'POST',
      url: `/v1/kb/suggestions/${w.kb.suggestionId}/outcomes`,
      body: { outcome: 'article_opened', articleId: w.kb.publicArticleId },
    }),
    // A suggestion the staff were shown is no contact's to report on (the GraphQL matrix takes an
    // anonymous one, which any contact of the workspace may report on).
    expect: byId([...agents, ...keysOf()], [...contactsAll, ...others]),
  },
  'GET /v1/tickets/:idOrNumber/articles': {
    request: (w) => ({ method: 'GET', url: `${ticketUrl(w)}/articles` }),
    expect: byId(
      [...agents, ...readKeys, 'contactA', 'authorizedX'],
      [...others, 'contactB', 'memberX', 'blocked'],
    ),
  },
  'POST /v1/tickets/:idOrNumber/articles': {
    request: (w) => ({
      method: 'POST',
      url: `${ticketUrl(w)}/articles`,
      body: { articleId: w.kb.publicArticleId },
    }),
    expect: byId([...writers, ...writeKeys]),
  },
  'DELETE /v1/tickets/:idOrNumber/articles/:articleId': {
    request: async (w) => {
      const ticket = await w.freshTicket('contactA')
      await w.admin.post(`/v1/tickets/${ticket}/articles`, { articleId: w.kb.publicArticleId })
      return { method: 'DELETE', url: `/v1/tickets/${ticket}/articles/${w.kb.publicArticleId}` }
    },
    expect: byId([...writers, ...writeKeys]),
  },
  'GET /v1/reports/kb': {
    request: () => ({ method: 'GET', url: '/v1/reports/kb' }),
    expect: expect(['ok', [...agents, ...keysOf(), ...others]]),
  },
  'GET /v1/public/:workspaceSlug/kb/categories': {
    request: (w) => ({ method: 'GET', url: `/v1/public/${w.kb.slug}/kb/categories` }),
    expect: publicRoute,
  },
  'GET /v1/public/:workspaceSlug/kb/categories/:ref': {
    request: (w) => ({
      method: 'GET',
      url: `/v1/public/${w.kb.slug}/kb/categories/${w.kb.publicCategoryId}`,
    }),
    expect: publicRoute,
  },
  'GET /v1/public/:workspaceSlug/kb/articles': {
    request: (w) => ({ method: 'GET', url: `/v1/public/${w.kb.slug}/kb/articles` }),
    expect: publicRoute,
  },
  'GET /v1/public/:workspaceSlug/kb/articles/:id': {
    request: (w) => ({ method: 'GET', url: `/v1/public/${w.kb.slug}/kb/articles/${w.kb.publicArticleId}` }),
    expect: publicRoute,
  },
  'GET /v1/public/:workspaceSlug/kb/search': {
    request: (w) => ({ method: 'GET', url: `/v1/public/${w.kb.slug}/kb/search?q=reembolso&locale=es` }),
    expect: publicRoute,
  },
  'POST /v1/public/:workspaceSlug/kb/suggestions': {
    request: (w) => ({
      method: 'POST',
      url: `/v1/public/${w.kb.slug}/kb/suggestions`,
      body: { subject: 'Quiero un reembolso' },
    }),
    expect: publicRoute,
  },
  'POST /v1/public/:workspaceSlug/kb/suggestions/:id/outcomes': {
    request: (w) => ({
      method: 'POST',
      url: `/v1/public/${w.kb.slug}/kb/suggestions/${w.kb.publicSuggestionId}/outcomes`,
      body: { outcome: 'article_opened', articleId: w.kb.publicArticleId },
    }),
    expect: publicRoute,
  },
  'POST /v1/public/:workspaceSlug/kb/articles/:id/feedback': {
    request: (w) => ({
      method: 'POST',
      url: `/v1/public/${w.kb.slug}/kb/articles/${w.kb.publicArticleId}/feedback`,
      body: { helpful: false, sessionKey: `public-session-${w.run}` },
    }),
    expect: publicRoute,
  },

  // Tickets: the staff see all; a contact their own (an authorized member: the organization's);
  // another customer's ticket does not exist for them; a blocked contact reads but does not write.
  'POST /v1/tickets': {
    request: (w, actor) => ({
      method: 'POST',
      url: '/v1/tickets',
      body: (contactsAll as readonly string[]).includes(actor)
        ? { subject: 'From the shop page', message: { body: 'Hello' } }
        : ticketBody({ requester: { email: w.uniqueEmail() } }),
    }),
    expect: expect([
      'ok',
      [...writers, ...writeKeys, ...others, 'contactA', 'contactB', 'memberX', 'authorizedX'],
    ]),
  },
  'GET /v1/tickets': {
    request: () => ({ method: 'GET', url: '/v1/tickets' }),
    expect: expect(['ok', [...agents, ...readKeys, ...others, ...contactsAll]]),
  },
  'GET /v1/tickets/:idOrNumber': {
    request: (w) => ({ method: 'GET', url: ticketUrl(w) }),
    expect: byId(
      [...agents, ...readKeys, 'contactA', 'authorizedX'],
      [...others, 'contactB', 'memberX', 'blocked'],
    ),
  },
  'PATCH /v1/tickets/:idOrNumber': {
    request: async (w) => ({
      method: 'PATCH',
      url: `/v1/tickets/${await w.freshTicket('contactA')}`,
      body: { status: 'solved' },
    }),
    expect: expect(
      ['ok', [...writers, ...writeKeys, 'contactA', 'authorizedX']],
      ['not_found', [...others, 'contactB', 'memberX']],
    ),
  },
  'POST /v1/tickets/:idOrNumber/messages': {
    request: (w) => ({ method: 'POST', url: `${ticketUrl(w)}/messages`, body: { body: 'A reply' } }),
    expect: expect(
      ['ok', [...writers, ...writeKeys, 'contactA', 'authorizedX']],
      ['not_found', [...others, 'contactB', 'memberX']],
    ),
  },
  'GET /v1/tickets/:idOrNumber/messages': {
    request: (w) => ({ method: 'GET', url: `${ticketUrl(w)}/messages` }),
    expect: byId(
      [...agents, ...readKeys, 'contactA', 'authorizedX'],
      [...others, 'contactB', 'memberX', 'blocked'],
    ),
  },
  // The internal note: staff read it; for its own customer it does not exist.
  'GET /v1/tickets/:idOrNumber/messages/:messageId': {
    request: (w) => ({ method: 'GET', url: `${ticketUrl(w)}/messages/${w.internalNoteA}` }),
    expect: byId([...agents, ...readKeys], [...others, ...contactsAll]),
  },
  // The change history is the staff's (it names assignees, tags and notes).
  'GET /v1/tickets/:idOrNumber/sla': {
    request: (w) => ({ method: 'GET', url: `${ticketUrl(w)}/sla` }),
    expect: byId(
      [...agents, ...readKeys, 'contactA', 'authorizedX'],
      [...others, 'contactB', 'memberX', 'blocked'],
    ),
  },
  'GET /v1/tickets/:idOrNumber/events': {
    request: (w) => ({ method: 'GET', url: `${ticketUrl(w)}/events` }),
    expect: byId([...agents, ...readKeys]),
  },
}

t.test('every registered route has a row, and every row a route', async (t) => {
  const registered = ctx.app.registeredRoutes
    .filter((r) => r.method !== 'HEAD')
    .map((r) => `${r.method} ${r.url}`)
  for (const route of registered) t.ok(rows[route], `${route} has a row in the matrix`)
  for (const route of Object.keys(rows)) t.ok(registered.includes(route), `${route} is a registered route`)
})

for (const [route, row] of Object.entries(rows)) {
  t.test(route, async (t) => {
    for (const actor of actorNames) {
      const cell = await row.request(world, actor)
      const client: Client = cell.token ? ctx.as(cell.token) : world.clients[actor]
      const res: Response = await send(client, cell)
      const wanted = row.expect[actor] ?? (actor === 'anonymous' ? 'unauthorized' : 'forbidden')
      t.equal(
        outcomeOf(res),
        wanted,
        `${actor}: ${res.status} ${res.status >= 300 ? res.text.slice(0, 160) : ''}`,
      )
      // An identifier the request itself carries may come back in its 404; anything else may not.
      const asked = `${cell.url} ${JSON.stringify(cell.body ?? null)}`
      for (const text of forbiddenTexts(world, actor)) {
        if (res.text.includes(text) && !asked.includes(text)) t.fail(`${actor} received ${text}`)
      }
    }
  })
}

async function send(client: Client, cell: Cell): Promise<Response> {
  switch (cell.method) {
    case 'OPTIONS': {
      const res = await ctx.app.inject({ method: 'OPTIONS', url: cell.url, headers: cell.headers ?? {} })
      return { status: res.statusCode, headers: res.headers, body: undefined, text: res.body }
    }
    case 'GET':
      return client.get(cell.url)
    case 'DELETE':
      return client.delete(cell.url)
    case 'POST':
      return client.post(cell.url, cell.body)
    case 'PATCH':
      return client.patch(cell.url, cell.body)
    case 'PUT':
      return client.put(cell.url, cell.body)
    default:
      throw new Error(`no client method for ${cell.method}`)
  }
}
