import { AGENT_PASSWORD, type Client, type Response, type TestApp, ticketBody } from '../helpers/app.ts'

/** Every kind of caller the permission model knows, as the matrix tests name them. */
export const actorNames = [
  'anonymous',
  'platform',
  'contactA',
  'contactB',
  'memberX',
  'authorizedX',
  'blocked',
  'viewer',
  'agent',
  'admin',
  'owner',
  'key:tickets:read',
  'key:tickets:write',
  'key:contacts:read',
  'key:contacts:write',
  'key:admin',
  'otherKey',
  'otherAgent',
] as const
export type ActorName = (typeof actorNames)[number]

/** `ok` for any 2xx or redirect, else the problem code (`unauthorized`, `forbidden`, `not_found`, …). */
export type Outcome = 'ok' | 'unauthorized' | 'forbidden' | 'not_found' | 'validation' | 'conflict'

export function outcomeOf(res: Response): string {
  if (res.status >= 200 && res.status < 400) return 'ok'
  return typeof res.body?.code === 'string' ? res.body.code : String(res.status)
}

export interface World {
  run: string
  clients: Record<ActorName, Client>
  /** The main workspace's admin key. */
  admin: Client
  contacts: Record<
    'contactA' | 'contactB' | 'memberX' | 'authorizedX' | 'blocked',
    { id: string; externalId: string }
  >
  orgX: string
  orgY: string
  ticketA: { id: string; number: number }
  internalNoteA: string
  priorityHigh: string
  /** The main workspace's default business-hours calendar and its "Standard" SLA policy. */
  calendarId: string
  policyId: string
  /** The main workspace's knowledge base: a public article in a public category, an internal one apart. */
  kb: {
    slug: string
    publicCategoryId: string
    internalCategoryId: string
    publicArticleId: string
    internalArticleId: string
    /** Suggestions shown to the admin key and to an anonymous reader, each naming the public article. */
    suggestionId: string
    publicSuggestionId: string
  }
  agentIds: Record<'viewer' | 'agent' | 'admin' | 'owner', string>
  /** The e-mail of each actor that is an agent (to start fresh sessions as them). */
  agentEmails: Partial<Record<ActorName, string>>
  loginOnly: { email: string }
  /** Every id of the main workspace that another workspace's caller must never receive. */
  mainIds: string[]
  markers: { subjectA: string; internalNote: string; internalArticle: string }
  freshApiKey(): Promise<string>
  freshSession(email: string): Promise<{ accessToken: string; refreshToken: string }>
  freshAgent(): Promise<string>
  freshContact(): Promise<string>
  freshOrganization(): Promise<string>
  freshDepartment(): Promise<string>
  freshPriority(): Promise<string>
  freshCalendar(): Promise<string>
  freshPolicy(): Promise<string>
  /** An empty knowledge base category. */
  freshKbCategory(): Promise<string>
  /** An internal article with unpublished `es` (source) and `fr` drafts. */
  freshKbArticle(): Promise<string>
  freshTicket(requester: 'contactA'): Promise<string>
  uniqueEmail(): string
  uniqueSlug(): string
  uniqueRank(): number
}

function created(res: Response, what: string) {
  if (res.status < 200 || res.status >= 300) throw new Error(`${what}: ${res.status} ${res.text}`)
  return res.body
}

/**
 * Two workspaces. The main one has organizations X and Y; contacts A and M (members of X), an
 * authorized member of X, B (of Y) and a blocked contact; agents of each role; a key per scope; a
 * ticket of A's with an internal note. The other workspace has a key and an agent of its own.
 */
export async function setUpWorld(ctx: TestApp): Promise<World> {
  const run = `${process.pid}${Date.now() % 100000}`
  const main = await ctx.createWorkspace()
  const other = await ctx.createWorkspace()
  const admin = main.api
  let counter = 0
  const next = () => `${run}-${++counter}`

  // The shop's pages call the API from this origin (CORS).
  created(await admin.patch('/v1/workspace', { allowedOrigins: ['https://shop.example.com'] }), 'origins')
  const orgX = created(await admin.post('/v1/organizations', { name: 'X Corp' }), 'org X').id
  const orgY = created(await admin.post('/v1/organizations', { name: 'Y Corp' }), 'org Y').id
  const contact = async (name: string, org: string | null, role: string, blocked = false) => {
    const externalId = `${name}-${run}`
    const row = created(
      await admin.put(`/v1/contacts/by-external-id/${externalId}`, {
        email: `${externalId}@example.com`,
        name,
        blocked,
      }),
      name,
    )
    if (org) created(await admin.put(`/v1/organizations/${org}/members/${row.id}`, { role }), `${name} joins`)
    return { id: row.id as string, externalId }
  }
  const contacts = {
    contactA: await contact('contactA', orgX, 'member'),
    memberX: await contact('memberX', orgX, 'member'),
    authorizedX: await contact('authorizedX', orgX, 'authorized'),
    contactB: await contact('contactB', orgY, 'member'),
    blocked: await contact('blocked', null, 'member', true),
  }

  const markers = {
    subjectA: `SUBJECT-A-${run}`,
    internalNote: `INTERNAL-NOTE-${run}`,
    internalArticle: `INTERNAL-ARTICLE-${run}`,
  }
  const ticketA = created(
    await admin.post(
      '/v1/tickets',
      ticketBody({ subject: markers.subjectA, requester: { id: contacts.contactA.id }, tags: ['vip'] }),
    ),
    'ticket A',
  )
  const note = created(
    await admin.post(`/v1/tickets/${ticketA.id}/messages`, {
      body: markers.internalNote,
      visibility: 'internal',
    }),
    'note',
  )
  const ticketIds = [ticketA.id]
  for (const name of ['memberX', 'contactB', 'blocked'] as const) {
    const ticket = created(
      await admin.post('/v1/tickets', ticketBody({ requester: { id: contacts[name].id } })),
      `ticket of ${name}`,
    )
    ticketIds.push(ticket.id)
  }
  created(
    await admin.post('/v1/departments', { name: 'Hidden', slug: 'hidden', public: false }),
    'hidden department',
  )

  const agentIds = {} as World['agentIds']
  const agentEmails: World['agentEmails'] = {}
  const clients = {} as Record<ActorName, Client>
  for (const role of ['viewer', 'agent', 'admin', 'owner'] as const) {
    const agent = await ctx.agent(main, role)
    agentIds[role] = agent.id
    agentEmails[role] = agent.email
    clients[role] = agent.api
  }
  const otherAgent = await ctx.agent(other, 'owner')
  agentEmails.otherAgent = otherAgent.email
  clients.otherAgent = otherAgent.api
  clients.otherKey = other.api
  clients.anonymous = ctx.anonymous
  clients.platform = ctx.platform
  for (const scope of [
    'tickets:read',
    'tickets:write',
    'contacts:read',
    'contacts:write',
    'admin',
  ] as const) {
    clients[`key:${scope}`] = await ctx.withScopes(main, [scope])
  }
  for (const name of Object.keys(contacts) as (keyof typeof contacts)[]) {
    const { externalId } = contacts[name]
    clients[name] = ctx.as(ctx.contactToken(main, { sub: externalId, email: `${externalId}@example.com` }))
  }
  const loginOnly = await ctx.agent(main, 'viewer')

  const kbCategory = async (slug: string) =>
    created(
      await admin.post('/v1/kb/categories', {
        translations: [{ locale: 'es', name: slug, slug: `${slug}-${run}` }],
      }),
      `category ${slug}`,
    ).id as string
  const publicCategoryId = await kbCategory('ayuda')
  const internalCategoryId = await kbCategory('procedimientos')
  const kbArticle = async (categoryId: string, visibility: string, title: string, body: string) =>
    created(
      await admin.post('/v1/kb/articles', {
        categoryId,
        visibility,
        publish: true,
        translations: [{ locale: 'es', title, body }],
      }),
      `${visibility} article`,
    ).id as string
  const publicArticleId = await kbArticle(
    publicCategoryId,
    'public',
    'Cómo pedir un reembolso',
    'Escribe a soporte para pedir el reembolso de tu pedido.',
  )
  const internalArticleId = await kbArticle(
    internalCategoryId,
    'internal',
    `Reembolsos manuales ${markers.internalArticle}`,
    `Procedimiento interno de reembolso ${markers.internalArticle}.`,
  )
  const suggestion = { subject: 'Quiero un reembolso', body: 'de mi pedido', locale: 'es' }
  const suggestionId = created(await admin.post('/v1/kb/suggestions', suggestion), 'suggestions').id
  const publicSuggestionId = created(
    await ctx.anonymous.post(`/v1/public/${main.slug}/kb/suggestions`, suggestion),
    'public suggestions',
  ).id

  const departments = created(await admin.get('/v1/departments'), 'departments').data
  const priorities = created(await admin.get('/v1/priorities'), 'priorities').data
  const organizations = [orgX, orgY]
  const calendars = created(await admin.get('/v1/business-hours'), 'calendars').data
  const policies = created(await admin.get('/v1/sla-policies'), 'policies').data
  // The public article and its category are anyone's to read (the public API), so they are not listed.
  const mainIds = [
    internalCategoryId,
    internalArticleId,
    suggestionId,
    ...calendars.map((c: { id: string }) => c.id),
    ...policies.map((p: { id: string }) => p.id),
    main.id,
    ...ticketIds,
    ...Object.values(contacts).map((c) => c.id),
    ...organizations,
    ...departments.map((d: { id: string }) => d.id),
    ...priorities.map((p: { id: string }) => p.id),
    ...Object.values(agentIds),
  ]

  return {
    run,
    clients,
    admin,
    contacts,
    orgX,
    orgY,
    ticketA,
    internalNoteA: note.id,
    priorityHigh: priorities.find((p: { slug: string }) => p.slug === 'high').id,
    calendarId: calendars.find((c: { isDefault: boolean }) => c.isDefault).id,
    policyId: policies.find((p: { name: string }) => p.name === 'Standard').id,
    kb: {
      slug: main.slug,
      publicCategoryId,
      internalCategoryId,
      publicArticleId,
      internalArticleId,
      suggestionId,
      publicSuggestionId,
    },
    agentIds,
    agentEmails,
    loginOnly,
    mainIds,
    markers,
    async freshApiKey() {
      return created(await admin.post('/v1/api-keys', { name: 'fresh', scopes: ['tickets:read'] }), 'key').id
    },
    async freshSession(email) {
      const login = created(
        await ctx.anonymous.post('/v1/auth/login', { email, password: AGENT_PASSWORD }),
        `login ${email}`,
      )
      return { accessToken: login.accessToken, refreshToken: login.refreshToken }
    },
    async freshAgent() {
      const body = {
        email: `fresh-${next()}@example.com`,
        name: 'Fresh',
        role: 'agent',
        password: AGENT_PASSWORD,
      }
      return created(await admin.post('/v1/agents', body), 'agent').id
    },
    async freshContact() {
      return created(await admin.post('/v1/contacts', { email: `fresh-${next()}@example.com` }), 'contact').id
    },
    async freshOrganization() {
      return created(await admin.post('/v1/organizations', { name: `Fresh ${next()}` }), 'organization').id
    },
    async freshDepartment() {
      return created(
        await admin.post('/v1/departments', { name: 'Fresh', slug: `fresh-${next()}` }),
        'department',
      ).id
    },
    async freshPriority() {
      const body = { name: 'Fresh', slug: `fresh-${next()}`, rank: 100 + counter }
      return created(await admin.post('/v1/priorities', body), 'priority').id
    },
    async freshCalendar() {
      const body = {
        name: `Fresh ${next()}`,
        timeZone: 'Europe/Madrid',
        intervals: [{ day: 'monday', start: '09:00', end: '17:00' }],
      }
      return created(await admin.post('/v1/business-hours', body), 'calendar').id
    },
    async freshPolicy() {
      const body = {
        name: `Fresh ${next()}`,
        conditions: { tagsAll: ['never-used'] },
        targets: [{ metric: 'firstResponse', minutes: 60 }],
      }
      return created(await admin.post('/v1/sla-policies', body), 'policy').id
    },
    async freshKbCategory() {
      return kbCategory(`fresh-${next()}`)
    },
    async freshKbArticle() {
      const body = {
        categoryId: internalCategoryId,
        visibility: 'internal',
        translations: [
          { locale: 'es', title: `Fresco ${next()}`, body: 'Texto' },
          { locale: 'fr', title: `Frais ${next()}`, body: 'Texte' },
        ],
      }
      return created(await admin.post('/v1/kb/articles', body), 'article').id
    },
    async freshTicket(requester) {
      const body = ticketBody({ requester: { id: contacts[requester].id } })
      return created(await admin.post('/v1/tickets', body), 'ticket').id
    },
    uniqueEmail: () => `new-${next()}@example.com`,
    uniqueSlug: () => `s-${next()}`,
    uniqueRank: () => 500 + ++counter,
  }
}

export const contactsAll = ['contactA', 'contactB', 'memberX', 'authorizedX', 'blocked'] as const
export const agents = ['viewer', 'agent', 'admin', 'owner'] as const
export const writers = ['agent', 'admin', 'owner'] as const
export const admins = ['admin', 'owner'] as const
export const others = ['otherKey', 'otherAgent'] as const
export const readKeys = ['key:tickets:read', 'key:tickets:write', 'key:admin'] as const
export const writeKeys = ['key:tickets:write', 'key:admin'] as const
export const contactReadKeys = [
  'key:contacts:read',
  'key:contacts:write',
  'key:tickets:read',
  'key:tickets:write',
  'key:admin',
] as const
export const contactWriteKeys = ['key:contacts:write', 'key:admin'] as const

/** Outcomes: the listed callers get `outcome`; the anonymous caller 401; everyone else 403 unless set. */
export function expect(...groups: [Outcome, readonly ActorName[]][]): Partial<Record<ActorName, Outcome>> {
  const out: Partial<Record<ActorName, Outcome>> = {}
  for (const [outcome, names] of groups) for (const name of names) out[name] = outcome
  return out
}
export const everyone = actorNames.filter((a) => a !== 'anonymous')
export const publicRoute = expect(['ok', actorNames])
export const platformOnly = expect(['ok', ['platform']])

export function keysOf(): ActorName[] {
  return actorNames.filter((a) => a.startsWith('key:'))
}

/** What no response to this caller may contain. */
export function forbiddenTexts(w: World, actor: ActorName): string[] {
  const texts: string[] = []
  if ((contactsAll as readonly string[]).includes(actor)) {
    texts.push(w.markers.internalNote, w.markers.internalArticle)
  }
  // Callers outside the workspace's staff never see its internal articles, through any route.
  if (['anonymous', 'platform', ...others].includes(actor)) texts.push(w.markers.internalArticle)
  if (!['contactA', 'authorizedX', ...agents, ...keysOf(), 'anonymous'].includes(actor)) {
    texts.push(w.markers.subjectA)
  }
  if ((others as readonly string[]).includes(actor)) texts.push(...w.mainIds)
  return texts
}
