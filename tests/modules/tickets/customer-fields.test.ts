import t from 'tap'
import { buildTestApp, ticketBody } from '../../helpers/app.ts'

const ctx = await buildTestApp(t)

t.test('a contact can neither filter by staff fields nor read them through GraphQL relations', async (t) => {
  const ws = await ctx.createWorkspace()
  const org = (await ws.api.post('/v1/organizations', { name: 'Client Co', metadata: { credit: 'on hold' } }))
    .body
  const boss = (
    await ws.api.put(`/v1/contacts/by-external-id/boss-${process.pid}`, {
      email: `boss-${process.pid}@example.com`,
      phone: '+34 600 000 000',
      metadata: { vip: true },
    })
  ).body
  const clerk = (await ws.api.put(`/v1/contacts/by-external-id/clerk-${process.pid}`, { name: 'Clerk' })).body
  await ws.api.put(`/v1/organizations/${org.id}/members/${boss.id}`, { role: 'authorized' })
  await ws.api.put(`/v1/organizations/${org.id}/members/${clerk.id}`, { role: 'member' })
  await ws.api.post('/v1/tickets', ticketBody({ requester: { id: clerk.id }, tags: ['fraud-check'] }))
  const asBoss = ctx.as(ctx.contactToken(ws, { sub: `boss-${process.pid}` }))

  for (const filter of ['tag=fraud-check', 'assignee=none', `assigneeId=${boss.id}`]) {
    const res = await asBoss.get(`/v1/tickets?${filter}`)
    t.equal(res.status, 403, `${filter} is refused to a contact`)
  }
  t.equal((await asBoss.get('/v1/tickets')).body.data.length, 1, "the organization's ticket is listed")

  const gql = await asBoss.graphql(
    '{ tickets { nodes { tags requester { id phone metadata } organization { name domains metadata externalId } } } }',
  )
  const [node] = gql.body.data.tickets.nodes
  t.same(node.tags, [])
  t.same(
    node.requester,
    { id: clerk.id, phone: null, metadata: {} },
    "a colleague's details stay with the staff",
  )
  t.same(node.organization, { name: 'Client Co', domains: [], metadata: {}, externalId: null })
  const me = await asBoss.graphql('{ me { contact { phone metadata } } }')
  t.same(
    me.body.data.me.contact,
    { phone: '+34 600 000 000', metadata: { vip: true } },
    'their own details are theirs',
  )
})
