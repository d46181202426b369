import t from 'tap'
import { buildTestApp } from '../helpers/app.ts'

t.test('the platform token provisions a workspace with defaults and an owner key shown once', async (t) => {
  const { platform, as } = await buildTestApp(t)
  const res = await platform.post('/v1/workspaces', { slug: 'acme', name: 'Acme' })
  t.equal(res.status, 201)
  t.equal(res.headers.location, `/v1/workspaces/${res.body.workspace.id}`)
  t.match(res.body.workspace, { slug: 'acme', name: 'Acme' })
  t.match(res.body.apiKey, { name: 'Owner key', scopes: ['admin'], secret: /^atk_[\w-]{40,}$/ })

  const owner = as(res.body.apiKey.secret)
  const ticket = await owner.post('/v1/tickets', {
    subject: 'Hello',
    message: { body: 'Hi' },
    requester: { email: 'a@example.com' },
  })
  t.equal(ticket.status, 201, 'the owner key works at once')
  t.match(ticket.body.priority, { slug: 'normal', rank: 3 }, 'default priority is normal')
  t.match(ticket.body.department, { slug: 'general' }, 'default department is general')

  for (const [slug, rank] of [
    ['urgent', 1],
    ['high', 2],
    ['low', 4],
  ] as const) {
    const res = await owner.post('/v1/tickets', {
      subject: slug,
      message: { body: 'x' },
      requester: { email: 'a@example.com' },
      priority: slug,
    })
    t.equal(res.body.priority.rank, rank, `${slug} has rank ${rank}`)
  }

  const list = await platform.get('/v1/workspaces')
  t.same(
    list.body.data.map((w: { slug: string }) => w.slug),
    ['acme'],
  )
  t.notOk(JSON.stringify(list.body).includes('atk_'), 'listing never shows a key')
})

t.test('a duplicate slug is a conflict and a bad slug is a validation problem', async (t) => {
  const { platform } = await buildTestApp(t)
  t.equal((await platform.post('/v1/workspaces', { slug: 'acme', name: 'A' })).status, 201)
  const dup = await platform.post('/v1/workspaces', { slug: 'acme', name: 'B' })
  t.equal(dup.status, 409)
  t.equal(dup.body.code, 'conflict')
  const bad = await platform.post('/v1/workspaces', { slug: 'Not A Slug', name: 'B' })
  t.equal(bad.status, 400)
  t.equal(bad.body.errors[0].path, '/slug')
})

t.test('only the platform token provisions workspaces', async (t) => {
  const { anonymous, createWorkspace, as } = await buildTestApp(t)
  const ws = await createWorkspace()
  t.equal((await anonymous.post('/v1/workspaces', { slug: 'x', name: 'x' })).status, 401)
  t.equal((await ws.api.post('/v1/workspaces', { slug: 'x', name: 'x' })).status, 403)
  t.equal((await ws.api.get('/v1/workspaces')).status, 403)
  t.equal((await as('atp_wrong_token_0000000000000000').get('/v1/workspaces')).status, 401)
})

t.test('without a platform token provisioning is disabled', async (t) => {
  const { as } = await buildTestApp(t, { ATIENDE_PLATFORM_TOKEN: '' })
  const res = await as('atp_test_platform_token_0123456789abcdef').post('/v1/workspaces', {
    slug: 'x',
    name: 'x',
  })
  t.equal(res.status, 401)
})

t.test('a platform token that starts like an API key still administers workspaces', async (t) => {
  const token = 'atk_platform_token_chosen_by_an_operator_0123'
  const other = await buildTestApp(t, { ATIENDE_PLATFORM_TOKEN: token })
  const res = await other.as(token).post('/v1/workspaces', { slug: 'look-alike', name: 'Look-alike' })
  t.equal(res.status, 201)
  const wrong = await other.as(`${token}x`).get('/v1/workspaces')
  t.equal(wrong.status, 401)
})
