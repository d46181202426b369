/**
 * The permission matrix for GraphQL: every Query and Mutation field the service serves × every kind
 * of caller, on real requests. The same policy must give the same answers as on REST; a field
 * without a row fails the suite.
 */
import t from 'tap'
import { AGENT_PASSWORD, buildTestApp, type Response } from '../helpers/app.ts'
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
  readKeys,
  setUpWorld,
  type World,
  writeKeys,
  writers,
} from './world.ts'

const ctx = await buildTestApp(t)
const world = await setUpWorld(ctx)

interface Operation {
  query: string
  variables?: (w: World, actor: ActorName) => Promise<Record<string, unknown>> | Record<string, unknown>
  expect: Partial<Record<ActorName, Outcome>>
}

const byId = (ok: readonly ActorName[], notFound: readonly ActorName[] = others) =>
  expect(['ok', ok], ['not_found', notFound])
const notPlatform = everyone.filter((a) => a !== 'platform')
const contactFields = 'id email name externalId organizationRole organization { id name }'
const ticketFields = `id number subject tags metadata assigneeId requester { id name } organization { id }
  assignee { id } priority { slug } department { slug } messages { nodes { id body visibility } }
  sla { nextDueAt breached responseDueAt policy { id name } timers { id metric stage dueAt } }`

const operations: Record<string, Operation> = {
  // Queries
  me: {
    query: '{ me { kind workspaceId agent { id role } contact { id } apiKey { id } } }',
    expect: expect(['ok', everyone]),
  },
  agent: {
    query: 'query($id: ID!) { agent(id: $id) { id role departments { id } } }',
    variables: (w) => ({ id: w.agentIds.agent }),
    expect: byId([...agents, ...readKeys]),
  },
  agents: {
    query: '{ agents { nodes { id email } } }',
    expect: expect(['ok', [...agents, ...readKeys, ...others]]),
  },
  contact: {
    query: `query($id: ID!) { contact(id: $id) { ${contactFields} } }`,
    variables: (w) => ({ id: w.contacts.contactA.id }),
    expect: byId([...agents, ...contactReadKeys]),
  },
  contactByExternalId: {
    query: `query($e: String!) { contactByExternalId(externalId: $e) { ${contactFields} } }`,
    variables: (w) => ({ e: w.contacts.contactA.externalId }),
    expect: byId([...agents, ...contactReadKeys]),
  },
  contacts: {
    query: `{ contacts { nodes { ${contactFields} } } }`,
    expect: expect(['ok', [...agents, ...contactReadKeys, ...others]]),
  },
  organization: {
    query: 'query($id: ID!) { organization(id: $id) { id name domains members { nodes { id } } } }',
    variables: (w) => ({ id: w.orgX }),
    expect: byId([...agents, ...contactReadKeys]),
  },
  organizations: {
    query: '{ organizations { nodes { id name } } }',
    expect: expect(['ok', [...agents, ...contactReadKeys, ...others]]),
  },
  department: {
    query: 'query { department(ref: "hidden") { id slug memberIds defaultPriority { slug } } }',
    expect: expect(['ok', [...agents, ...keysOf()]], ['not_found', [...contactsAll, ...others]]),
  },
  departments: {
    query: '{ departments { nodes { id slug public memberIds members { id } } } }',
    expect: expect(['ok', notPlatform]),
  },
  priority: {
    query: 'query($ref: String!) { priority(ref: $ref) { id slug rank } }',
    variables: (w) => ({ ref: w.priorityHigh }),
    expect: byId([...agents, ...keysOf(), ...contactsAll]),
  },
  priorities: { query: '{ priorities { nodes { id slug rank } } }', expect: expect(['ok', notPlatform]) },
  businessCalendar: {
    query: 'query($id: ID!) { businessCalendar(id: $id) { id name timeZone intervals { day start end } } }',
    variables: (w) => ({ id: w.calendarId }),
    expect: byId([...agents, ...keysOf(), ...contactsAll]),
  },
  businessCalendars: {
    query: '{ businessCalendars { nodes { id name builtIn isDefault } } }',
    expect: expect(['ok', notPlatform]),
  },
  slaPolicy: {
    query: 'query($id: ID!) { slaPolicy(id: $id) { id name position targets { metric minutes } } }',
    variables: (w) => ({ id: w.policyId }),
    expect: byId([...agents, ...keysOf()]),
  },
  slaPolicies: {
    query: '{ slaPolicies { nodes { id name conditions { channels } } } }',
    expect: expect(['ok', [...agents, ...keysOf(), ...others]]),
  },
  slaReport: {
    query:
      '{ slaReport(groupBy: policy) { groupBy groups { id name metrics { firstResponse { total met } } } } }',
    expect: expect(['ok', [...agents, ...keysOf(), ...others]]),
  },
  kbCategory: {
    query: 'query($ref: String!) { kbCategory(ref: $ref) { id parentId translations { locale name slug } } }',
    variables: (w) => ({ ref: w.kb.publicCategoryId }),
    expect: byId([...agents, ...keysOf(), ...contactsAll]),
  },
  kbCategories: {
    query: '{ kbCategories { nodes { id translations { name } } } }',
    expect: expect(['ok', [...agents, ...keysOf(), ...contactsAll, ...others]]),
  },
  kbArticle: {
    query: `query($ref: String!) { kbArticle(ref: $ref, locale: "es") { id visibility tags translations { locale title state } translation { locale title body bodyHtml draft { title } } } }`,
    variables: (w) => ({ ref: w.kb.publicArticleId }),
    expect: byId([...agents, ...keysOf(), ...contactsAll]),
  },
  kbArticles: {
    query: `{ kbArticles(filter: { locale: "es" }) { nodes { id visibility tags translations { locale title state } translation { locale title body bodyHtml draft { title } } } } }`,
    expect: expect(['ok', [...agents, ...keysOf(), ...contactsAll, ...others]]),
  },
  kbSearch: {
    query: '{ kbSearch(q: "reembolso", locale: "es") { locale fuzzy nodes { articleId title snippet } } }',
    expect: expect(['ok', [...agents, ...keysOf(), ...contactsAll, ...others]]),
  },
  kbSuggestions: {
    query: '{ kbSuggestions(subject: "Quiero un reembolso", locale: "es") { id hits { articleId title } } }',
    expect: expect(['ok', [...agents, ...keysOf(), ...contactsAll, ...others]]),
  },
  kbReport: {
    query:
      '{ kbReport { mostViewed { articleId views } leastHelpful { articleId } deflection { suggestionsShown } } }',
    expect: expect(['ok', [...agents, ...keysOf(), ...others]]),
  },
  ticket: {
    query: `query($id: ID) { ticket(id: $id) { ${ticketFields} } }`,
    variables: (w) => ({ id: w.ticketA.id }),
    expect: byId(
      [...agents, ...readKeys, 'contactA', 'authorizedX'],
      [...others, 'contactB', 'memberX', 'blocked'],
    ),
  },
  tickets: {
    query: `{ tickets { nodes { ${ticketFields} } } }`,
    expect: expect(['ok', [...agents, ...readKeys, ...others, ...contactsAll]]),
  },

  // Mutations: tickets
  createTicket: {
    query: `mutation($input: CreateTicketInput!) { createTicket(input: $input) { ticket { id } userErrors { code } } }`,
    variables: (w, actor) => ({
      input: {
        subject: 'From GraphQL',
        message: { body: 'Hello' },
        ...((contactsAll as readonly string[]).includes(actor)
          ? {}
          : { requester: { email: w.uniqueEmail() } }),
      },
    }),
    expect: expect([
      'ok',
      [...writers, ...writeKeys, ...others, 'contactA', 'contactB', 'memberX', 'authorizedX'],
    ]),
  },
  updateTicket: {
    query: `mutation($id: ID) { updateTicket(ticket: { id: $id }, input: { status: solved }) {
      ticket { id status } userErrors { code } } }`,
    variables: async (w) => ({ id: await w.freshTicket('contactA') }),
    expect: expect(
      ['ok', [...writers, ...writeKeys, 'contactA', 'authorizedX']],
      ['not_found', [...others, 'contactB', 'memberX']],
    ),
  },
  addMessage: {
    query: `mutation($id: ID) { addMessage(ticket: { id: $id }, input: { body: "A reply" }) {
      message { id } userErrors { code } } }`,
    variables: (w) => ({ id: w.ticketA.id }),
    expect: expect(
      ['ok', [...writers, ...writeKeys, 'contactA', 'authorizedX']],
      ['not_found', [...others, 'contactB', 'memberX']],
    ),
  },

  // Mutations: agents
  createAgent: {
    query: `mutation($input: CreateAgentInput!) { createAgent(input: $input) { agent { id } userErrors { code } } }`,
    variables: (w) => ({
      input: { email: w.uniqueEmail(), name: 'New', role: 'agent', password: AGENT_PASSWORD },
    }),
    expect: expect(['ok', [...admins, 'key:admin', ...others]]),
  },
  updateAgent: {
    query: `mutation($id: ID!) { updateAgent(id: $id, input: { name: "Renamed" }) { agent { id } userErrors { code } } }`,
    variables: async (w) => ({ id: await w.freshAgent() }),
    expect: byId([...admins, 'key:admin']),
  },

  // Mutations: contacts and organizations
  createContact: {
    query: `mutation($input: ContactInput!) { createContact(input: $input) { contact { id } userErrors { code } } }`,
    variables: (w) => ({ input: { email: w.uniqueEmail() } }),
    expect: expect(['ok', [...writers, ...contactWriteKeys, ...others]]),
  },
  updateContact: {
    query: `mutation($id: ID!) { updateContact(id: $id, input: { name: "R" }) { contact { id } userErrors { code } } }`,
    variables: async (w) => ({ id: await w.freshContact() }),
    expect: byId([...writers, ...contactWriteKeys]),
  },
  upsertContact: {
    query: `mutation($e: String!) { upsertContact(externalId: $e, input: { locale: "es" }) {
      contact { id } created userErrors { code } } }`,
    variables: (w) => ({ e: w.contacts.contactA.externalId }),
    expect: expect(['ok', [...writers, ...contactWriteKeys, ...others]]),
  },
  deleteContact: {
    query: `mutation($id: ID!) { deleteContact(id: $id) { deletedId userErrors { code } } }`,
    variables: async (w) => ({ id: await w.freshContact() }),
    expect: byId([...writers, ...contactWriteKeys]),
  },
  createContactToken: {
    query: `mutation($id: ID!) { createContactToken(contactId: $id) { token expiresAt userErrors { code } } }`,
    variables: (w) => ({ id: w.contacts.contactA.id }),
    expect: byId([...admins, ...writeKeys]),
  },
  createOrganization: {
    query: `mutation { createOrganization(input: { name: "New Co" }) { organization { id } userErrors { code } } }`,
    expect: expect(['ok', [...writers, ...contactWriteKeys, ...others]]),
  },
  updateOrganization: {
    query: `mutation($id: ID!) { updateOrganization(id: $id, input: { metadata: { tier: "gold" } }) {
      organization { id } userErrors { code } } }`,
    variables: (w) => ({ id: w.orgX }),
    expect: byId([...writers, ...contactWriteKeys]),
  },
  deleteOrganization: {
    query: `mutation($id: ID!) { deleteOrganization(id: $id) { deletedId userErrors { code } } }`,
    variables: async (w) => ({ id: await w.freshOrganization() }),
    expect: byId([...writers, ...contactWriteKeys]),
  },
  setOrganizationMember: {
    query: `mutation($o: ID!, $c: ID!) { setOrganizationMember(organizationId: $o, contactId: $c) {
      contact { id } userErrors { code } } }`,
    variables: async (w) => ({ o: w.orgY, c: await w.freshContact() }),
    expect: byId([...writers, ...contactWriteKeys]),
  },
  removeOrganizationMember: {
    query: `mutation($o: ID!, $c: ID!) { removeOrganizationMember(organizationId: $o, contactId: $c) {
      deletedId userErrors { code } } }`,
    variables: async (w) => {
      const contact = await w.freshContact()
      await w.admin.put(`/v1/organizations/${w.orgY}/members/${contact}`, {})
      return { o: w.orgY, c: contact }
    },
    expect: byId([...writers, ...contactWriteKeys]),
  },

  // Mutations: business hours and SLA policies
  createBusinessCalendar: {
    query: `mutation($name: String!) { createBusinessCalendar(input: { name: $name, timeZone: "Europe/Madrid",
      intervals: [{ day: monday, start: "09:00", end: "14:00" }], holidayRegions: ["ES-MD"] }) {
      businessCalendar { id } userErrors { code } } }`,
    variables: (w) => ({ name: `C ${w.uniqueSlug()}` }),
    expect: expect(['ok', [...admins, 'key:admin', ...others]]),
  },
  updateBusinessCalendar: {
    query: `mutation($id: ID!) { updateBusinessCalendar(id: $id, input: { name: "Office hours" }) {
      businessCalendar { id } userErrors { code } } }`,
    variables: (w) => ({ id: w.calendarId }),
    expect: byId([...admins, 'key:admin']),
  },
  deleteBusinessCalendar: {
    query: `mutation($id: ID!) { deleteBusinessCalendar(id: $id) { deletedId userErrors { code } } }`,
    variables: async (w) => ({ id: await w.freshCalendar() }),
    expect: byId([...admins, 'key:admin']),
  },
  createSlaPolicy: {
    query: `mutation($name: String!) { createSlaPolicy(input: { name: $name, conditions: { tagsAny: ["matrix"] },
      targets: [{ metric: resolution, minutes: 600, priority: null }] }) { slaPolicy { id } userErrors { code } } }`,
    variables: (w) => ({ name: `P ${w.uniqueSlug()}` }),
    expect: expect(['ok', [...admins, 'key:admin', ...others]]),
  },
  updateSlaPolicy: {
    query: `mutation($id: ID!) { updateSlaPolicy(id: $id, input: { name: "Standard" }) {
      slaPolicy { id } userErrors { code } } }`,
    variables: (w) => ({ id: w.policyId }),
    expect: byId([...admins, 'key:admin']),
  },
  deleteSlaPolicy: {
    query: `mutation($id: ID!) { deleteSlaPolicy(id: $id) { deletedId userErrors { code } } }`,
    variables: async (w) => ({ id: await w.freshPolicy() }),
    expect: byId([...admins, 'key:admin']),
  },
  reorderSlaPolicies: {
    query: `mutation($ids: [ID!]!) { reorderSlaPolicies(ids: $ids) { slaPolicies { id } userErrors { code } } }`,
    variables: async (w) => ({
      ids: (await w.admin.get('/v1/sla-policies?limit=100')).body.data.map((p: { id: string }) => p.id),
    }),
    expect: expect(['ok', [...admins, 'key:admin']], ['validation', others]),
  },

  // Mutations: departments and priorities
  createDepartment: {
    query: `mutation($slug: String!) { createDepartment(input: { name: "D", slug: $slug }) {
      department { id } userErrors { code } } }`,
    variables: (w) => ({ slug: w.uniqueSlug() }),
    expect: expect(['ok', [...admins, 'key:admin', ...others]]),
  },
  updateDepartment: {
    query: `mutation { updateDepartment(ref: "hidden", input: { description: "Back office" }) {
      department { id } userErrors { code } } }`,
    expect: byId([...admins, 'key:admin']),
  },
  deleteDepartment: {
    query: `mutation($ref: String!) { deleteDepartment(ref: $ref) { deletedId userErrors { code } } }`,
    variables: async (w) => ({ ref: await w.freshDepartment() }),
    expect: byId([...admins, 'key:admin']),
  },
  createPriority: {
    query: `mutation($slug: String!, $rank: Int!) { createPriority(input: { name: "P", slug: $slug, rank: $rank }) {
      priority { id } userErrors { code } } }`,
    variables: (w) => ({ slug: w.uniqueSlug(), rank: w.uniqueRank() }),
    expect: expect(['ok', [...admins, 'key:admin', ...others]]),
  },
  updatePriority: {
    query: `mutation($ref: String!) { updatePriority(ref: $ref, input: { color: "#ff0000" }) {
      priority { id } userErrors { code } } }`,
    variables: (w) => ({ ref: w.priorityHigh }),
    expect: byId([...admins, 'key:admin']),
  },
  deletePriority: {
    query: `mutation($ref: String!) { deletePriority(ref: $ref) { deletedId userErrors { code } } }`,
    variables: async (w) => ({ ref: await w.freshPriority() }),
    expect: byId([...admins, 'key:admin']),
  },
  createKbCategory: {
    query: `mutation($slug: String!) { createKbCategory(input: { translations: [{ locale: "es", name: "Nueva", slug: $slug }] }) {
      kbCategory { id } userErrors { code } } }`,
    variables: (w) => ({ slug: w.uniqueSlug() }),
    expect: expect(['ok', [...writers, 'key:admin', ...others]]),
  },
  updateKbCategory: {
    query: `mutation($ref: String!) { updateKbCategory(ref: $ref, input: { position: 2 }) { kbCategory { id } userErrors { code } } }`,
    variables: (w) => ({ ref: w.kb.internalCategoryId }),
    expect: byId([...writers, 'key:admin']),
  },
  deleteKbCategory: {
    query: `mutation($ref: String!) { deleteKbCategory(ref: $ref) { deletedId userErrors { code } } }`,
    variables: async (w) => ({ ref: await w.freshKbCategory() }),
    expect: byId([...writers, 'key:admin']),
  },
  createKbArticle: {
    query: `mutation($categoryId: ID!) { createKbArticle(input: { categoryId: $categoryId, visibility: internal,
      translations: [{ locale: "es", title: "Nuevo", body: "x" }] }) { kbArticle { id } userErrors { code } } }`,
    variables: (w) => ({ categoryId: w.kb.internalCategoryId }),
    expect: expect(['ok', [...writers, 'key:admin']], ['validation', others]),
  },
  updateKbArticle: {
    query: `mutation($id: ID!) { updateKbArticle(id: $id, input: { tags: ["matrix"] }) { kbArticle { id } userErrors { code } } }`,
    variables: (w) => ({ id: w.kb.internalArticleId }),
    expect: byId([...writers, 'key:admin']),
  },
  deleteKbArticle: {
    query: `mutation($id: ID!) { deleteKbArticle(id: $id) { deletedId userErrors { code } } }`,
    variables: async (w) => ({ id: await w.freshKbArticle() }),
    expect: byId([...writers, 'key:admin']),
  },
  saveKbDraft: {
    query: `mutation($id: ID!) { saveKbDraft(articleId: $id, locale: "ca", input: { title: "Esborrany", body: "x" }) {
      kbTranslation { locale } userErrors { code } } }`,
    variables: (w) => ({ id: w.kb.internalArticleId }),
    expect: byId([...writers, 'key:admin']),
  },
  publishKbTranslation: {
    query: `mutation($id: ID!) { publishKbTranslation(articleId: $id, locale: "es") { kbTranslation { state } userErrors { code } } }`,
    variables: async (w) => ({ id: await w.freshKbArticle() }),
    expect: byId([...writers, 'key:admin']),
  },
  discardKbDraft: {
    query: `mutation($id: ID!) { discardKbDraft(articleId: $id, locale: "fr") { deletedId userErrors { code } } }`,
    variables: async (w) => ({ id: await w.freshKbArticle() }),
    expect: byId([...writers, 'key:admin']),
  },
  deleteKbTranslation: {
    query: `mutation($id: ID!) { deleteKbTranslation(articleId: $id, locale: "fr") { deletedId userErrors { code } } }`,
    variables: async (w) => ({ id: await w.freshKbArticle() }),
    expect: byId([...writers, 'key:admin']),
  },
  restoreKbVersion: {
    query: `mutation($id: ID!) { restoreKbVersion(articleId: $id, locale: "es", version: 1) { kbTranslation { draft { title } } userErrors { code } } }`,
    variables: (w) => ({ id: w.kb.internalArticleId }),
    expect: byId([...writers, 'key:admin']),
  },
  createKbArticleFromTicket: {
    query: `mutation($ticket: ID!, $categoryId: ID!) { createKbArticleFromTicket(input: { ticket: { id: $ticket },
      categoryId: $categoryId, locale: "es" }) { kbArticle { id } userErrors { code } } }`,
    variables: (w) => ({ ticket: w.ticketA.id, categoryId: w.kb.internalCategoryId }),
    expect: expect(['ok', [...writers, 'key:admin']], ['validation', others]),
  },
  linkKbArticle: {
    query: `mutation($ticket: ID!, $id: ID!) { linkKbArticle(ticket: { id: $ticket }, articleId: $id) {
      kbArticles { id } userErrors { code } } }`,
    variables: (w) => ({ ticket: w.ticketA.id, id: w.kb.publicArticleId }),
    expect: byId([...writers, ...writeKeys]),
  },
  unlinkKbArticle: {
    query: `mutation($ticket: ID!, $id: ID!) { unlinkKbArticle(ticket: { id: $ticket }, articleId: $id) { deletedId userErrors { code } } }`,
    variables: async (w) => {
      const ticket = await w.freshTicket('contactA')
      await w.admin.post(`/v1/tickets/${ticket}/articles`, { articleId: w.kb.publicArticleId })
      return { ticket, id: w.kb.publicArticleId }
    },
    expect: byId([...writers, ...writeKeys]),
  },
  sendKbFeedback: {
    query: `mutation($id: ID!, $key: String) { sendKbFeedback(articleId: $id, input: { helpful: true, sessionKey: $key }) {
      kbFeedback { helpful } userErrors { code } } }`,
    variables: (w) => ({ id: w.kb.publicArticleId, key: `graphql-session-${w.run}` }),
    expect: expect(
      ['ok', [...agents, ...keysOf(), 'contactA', 'contactB', 'memberX', 'authorizedX']],
      ['not_found', others],
    ),
  },
  recordKbSuggestionOutcome: {
    query: `mutation($s: ID!, $id: ID!) { recordKbSuggestionOutcome(suggestionId: $s, outcome: article_opened, articleId: $id) {
      recorded userErrors { code } } }`,
    // An anonymous caller's suggestion (the help form before signing in): staff and any contact of the
    // workspace may say what came of it (the REST matrix takes the staff's own, which contacts may not).
    variables: (w) => ({ s: w.kb.publicSuggestionId, id: w.kb.publicArticleId }),
    expect: byId([...agents, ...keysOf(), ...contactsAll]),
  },
}

/**
 * The outcome of a GraphQL answer: the problem code of its first error; else of its first user error;
 * `not_found` for a single-object query that answered null; `ok` otherwise.
 */
function graphqlOutcome(res: Response, field: string): string {
  const error = res.body?.errors?.[0]
  if (error) return error.extensions?.code ?? 'error'
  const value = res.body?.data?.[field]
  if (value === null) return 'not_found'
  const userError = value?.userErrors?.[0]
  if (userError) return userError.code
  return res.status === 200 ? 'ok' : String(res.status)
}

t.test('every Query and Mutation field has a row, and every row a field', async (t) => {
  const schema = ctx.app.graphql.schema
  const served = [
    ...Object.keys(schema.getQueryType()?.getFields() ?? {}),
    ...Object.keys(schema.getMutationType()?.getFields() ?? {}),
  ]
  for (const field of served) t.ok(operations[field], `${field} has a row in the GraphQL matrix`)
  for (const field of Object.keys(operations)) t.ok(served.includes(field), `${field} is served`)
})

for (const [field, operation] of Object.entries(operations)) {
  t.test(field, async (t) => {
    for (const actor of actorNames) {
      const variables = (await operation.variables?.(world, actor)) ?? {}
      const res = await world.clients[actor].post('/graphql', { query: operation.query, variables })
      const wanted = operation.expect[actor] ?? (actor === 'anonymous' ? 'unauthorized' : 'forbidden')
      t.equal(graphqlOutcome(res, field), wanted, `${actor}: ${res.text.slice(0, 200)}`)
      const asked = JSON.stringify(variables)
      for (const text of forbiddenTexts(world, actor)) {
        if (res.text.includes(text) && !asked.includes(text)) t.fail(`${actor} received ${text}`)
      }
    }
  })
}
