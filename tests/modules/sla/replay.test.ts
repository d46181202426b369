import { and, asc, eq } from 'drizzle-orm'
import fc from 'fast-check'
import t from 'tap'
import { events } from '../../../src/db/schema/index.ts'
import { replayTimers } from '../../../src/modules/sla/replay.ts'
import { loadSlaContext, timersOf } from '../../../src/modules/sla/timers.ts'
import { buildTestApp, ticketBody } from '../../helpers/app.ts'

/**
 * DOMAIN.md: "Timers are derived state: recomputing a ticket's timers from its events and the current
 * policy and calendar gives the stored values." Random ticket lives over REST, then the stored timers
 * against the ones replayed from the ticket's written history.
 */
const ctx = await buildTestApp(t)
const system = ctx.db.database.db
const ws = await ctx.createWorkspace()

// Calendar-time targets of a few seconds' resolution would breach during the test; business hours
// and the seeded policies keep every deadline ahead, while priorities and tags move between targets.
const vip = await ws.api.post('/v1/sla-policies', {
  name: 'VIP',
  position: 1,
  conditions: { tagsAny: ['vip'] },
  targets: [
    { metric: 'firstResponse', minutes: 30, businessHours: false, warnBeforeMinutes: 5 },
    { metric: 'nextResponse', minutes: 20, businessHours: false },
    { metric: 'resolution', minutes: 600, businessHours: false, pauseOn: ['pending'] },
  ],
})
if (vip.status !== 201) throw new Error(`setup: ${vip.status} ${vip.text}`)

const action = fc.oneof(
  fc
    .constantFrom('open', 'pending', 'on_hold', 'solved')
    .map((status) => ({ kind: 'status' as const, status })),
  fc
    .constantFrom('urgent', 'high', 'normal', 'low')
    .map((priority) => ({ kind: 'priority' as const, priority })),
  fc.constantFrom(['vip'], [], ['vip', 'b2b']).map((tags) => ({ kind: 'tags' as const, tags })),
  fc.constant({ kind: 'reply' as const }),
  fc.constant({ kind: 'note' as const }),
  fc.constant({ kind: 'customer' as const }),
)

t.test('replaying a ticket history gives the stored timers', async (t) => {
  let runs = 0
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('chat', 'email', 'web'),
      fc.array(action, { minLength: 1, maxLength: 12 }),
      async (channel, steps) => {
        runs++
        const created = await ws.api.post(
          '/v1/tickets',
          ticketBody({ channel, tags: runs % 2 ? ['vip'] : [] }),
        )
        if (created.status !== 201) throw new Error(`create: ${created.status} ${created.text}`)
        const id = created.body.id as string
        for (const step of steps) {
          const res =
            step.kind === 'status'
              ? await ws.api.patch(`/v1/tickets/${id}`, { status: step.status })
              : step.kind === 'priority'
                ? await ws.api.patch(`/v1/tickets/${id}`, { priority: step.priority })
                : step.kind === 'tags'
                  ? await ws.api.patch(`/v1/tickets/${id}`, { tags: step.tags })
                  : await ws.api.post(`/v1/tickets/${id}/messages`, {
                      body: step.kind,
                      ...(step.kind === 'note' && { visibility: 'internal' }),
                      ...(step.kind === 'customer' && { author: 'requester' }),
                    })
          if (res.status >= 500) throw new Error(`${step.kind}: ${res.status} ${res.text}`)
        }
        const history = await system
          .select()
          .from(events)
          .where(and(eq(events.workspaceId, ws.id), eq(events.subjectId, id)))
          .orderBy(asc(events.seq))
        const context = await loadSlaContext(system, ws.id)
        const replayed = replayTimers(context, ws.id, id, history)
        const stored = await timersOf(system, ws.id, [id])
        const shape = (rows: typeof stored) =>
          rows
            .map((r) => ({
              metric: r.metric,
              instance: r.instance,
              stage: r.stage,
              policyId: r.policyId,
              targetMinutes: r.targetMinutes,
              calendarId: r.calendarId,
              startedAt: r.startedAt.toISOString(),
              anchorAt: r.anchorAt?.toISOString() ?? null,
              usedMs: r.usedMs,
              dueAt: r.dueAt?.toISOString() ?? null,
              pausedAt: r.pausedAt?.toISOString() ?? null,
              fulfilledAt: r.fulfilledAt?.toISOString() ?? null,
              breachedAt: r.breachedAt?.toISOString() ?? null,
            }))
            .sort((a, b) => `${a.metric}${a.instance}`.localeCompare(`${b.metric}${b.instance}`))
        const expected = shape(stored)
        const actual = shape(replayed)
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          throw new Error(
            `replayed ${JSON.stringify(actual, null, 1)}\nstored ${JSON.stringify(expected, null, 1)}`,
          )
        }
        return expected.length > 0 || channel !== 'chat'
      },
    ),
    { numRuns: 25 },
  )
  t.equal(runs, 25, 'every random life replayed to its stored timers')
})

t.test('after a policy edit, the replay under the new policy shows what the edit moved', async (t) => {
  const created = await ws.api.post('/v1/tickets', ticketBody({ tags: ['vip'] }))
  const id = created.body.id as string
  const before = await timersOf(system, ws.id, [id])
  t.equal(before.find((r) => r.metric === 'firstResponse')?.targetMinutes, 30)
  const res = await ws.api.patch(`/v1/sla-policies/${vip.body.id}`, {
    targets: [{ metric: 'firstResponse', minutes: 45, businessHours: false }],
  })
  t.equal(res.status, 200)
  const after = await timersOf(system, ws.id, [id])
  t.equal(
    after.find((r) => r.metric === 'firstResponse')?.targetMinutes,
    45,
    'the open ticket was re-targeted',
  )
  t.notOk(
    after.some((r) => r.metric === 'resolution'),
    'and lost the resolution clock the policy no longer has',
  )
  const history = await system
    .select()
    .from(events)
    .where(and(eq(events.workspaceId, ws.id), eq(events.subjectId, id)))
    .orderBy(asc(events.seq))
  const replayed = replayTimers(await loadSlaContext(system, ws.id), ws.id, id, history)
  t.equal(
    replayed.find((r) => r.metric === 'firstResponse')?.targetMinutes,
    45,
    'the replay counts on the current policy',
  )
  t.equal(
    replayed.find((r) => r.metric === 'firstResponse')?.startedAt.toISOString(),
    after.find((r) => r.metric === 'firstResponse')?.startedAt.toISOString(),
    'from the same start',
  )
})
