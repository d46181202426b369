import fc from 'fast-check'
import t from 'tap'
import { ticketStatuses } from '../../src/db/schema/index.ts'
import { canonicalJson } from '../../src/lib/canonical-json.ts'
import { decodeCursor, encodeCursor, paginate, readCursor } from '../../src/lib/cursor.ts'
import { etag, parseIfMatch } from '../../src/lib/etag.ts'
import { isProblem } from '../../src/lib/problem.ts'
import { canTransition, statusTimestamps } from '../../src/modules/tickets/lifecycle.ts'

t.test('a cursor decodes to what was encoded, and garbage is a validation problem', async (t) => {
  const value = fc.oneof(fc.string(), fc.integer(), fc.constant(null))
  fc.assert(
    fc.property(fc.array(value, { minLength: 1, maxLength: 3 }), (values) => {
      t.same(decodeCursor(encodeCursor(values), values.length), values)
    }),
  )
  fc.assert(
    fc.property(fc.string(), (garbage) => {
      try {
        decodeCursor(garbage, 2)
      } catch (error) {
        return isProblem(error) && error.code === 'validation'
      }
      return JSON.parse(Buffer.from(garbage, 'base64url').toString()).length === 2
    }),
  )
})

t.test(
  'a cursor is read as the kinds of its columns: any other value is the malformed-cursor 400',
  async (t) => {
    const id = '01a20abd-065a-712d-8eb1-bd6093250f37'
    const read = (values: unknown[], kinds: Parameters<typeof readCursor>[1]) => {
      try {
        return readCursor(Buffer.from(JSON.stringify(values)).toString('base64url'), kinds)
      } catch (error) {
        return isProblem(error) && error.status === 400 ? 'malformed' : error
      }
    }
    t.same(read([7, id], ['int', 'uuid']), [7, id])
    t.same(read([-(2 ** 31 - 1), id], ['int', 'uuid']), [-(2 ** 31 - 1), id])
    t.same(read(['2026-11-23T10:00:00.000Z', id], ['instant', 'uuid']), [
      new Date('2026-11-23T10:00:00.000Z'),
      id,
    ])
    t.same(read([9_007_199_254_740_991], ['seq']), [9_007_199_254_740_991])
    t.same(read(['pt-BR', 3], ['text', 'int']), ['pt-BR', 3])
    for (const [values, kinds] of [
      [
        [2 ** 31, id],
        ['int', 'uuid'],
      ],
      [
        [1.5, id],
        ['int', 'uuid'],
      ],
      [
        ['7', id],
        ['int', 'uuid'],
      ],
      [
        [7, 'not-a-uuid'],
        ['int', 'uuid'],
      ],
      [
        [7, null],
        ['int', 'uuid'],
      ],
      [[-1], ['seq']],
      [[2 ** 53], ['seq']],
      [
        ['0000-01-01T00:00:00Z', id],
        ['instant', 'uuid'],
      ],
      [
        ['not a date', id],
        ['instant', 'uuid'],
      ],
      [
        [20261123, id],
        ['instant', 'uuid'],
      ],
      [['a\u0000b'], ['text']],
      [['x'.repeat(1001)], ['text']],
      [[7], ['int', 'uuid']],
    ] as [unknown[], Parameters<typeof readCursor>[1]][]) {
      t.equal(read(values, kinds), 'malformed', `${JSON.stringify(values)} as ${kinds.join(', ')}`)
    }
  },
)

t.test('paginate returns at most limit rows and a cursor only when there are more', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.integer(), { maxLength: 30 }), fc.integer({ min: 1, max: 10 }), (rows, limit) => {
      const page = paginate(rows, limit, (r) => [r])
      t.equal(page.data.length, Math.min(rows.length, limit))
      t.equal(page.nextCursor !== null, rows.length > limit)
      t.equal(page.cursors.length, page.data.length)
    }),
  )
})

t.test('canonical JSON ignores key order and nothing else', async (t) => {
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
      const reversed = Object.fromEntries(Object.entries(object).reverse())
      return (
        canonicalJson(reversed) === canonicalJson(object) && JSON.parse(canonicalJson(object)) !== undefined
      )
    }),
  )
  t.not(canonicalJson({ a: 1 }), canonicalJson({ a: '1' }))
  t.not(canonicalJson([1, 2]), canonicalJson([2, 1]))
})

t.test('lifecycle: closed is final, nothing returns to new, solvedAt follows solved', async (t) => {
  const now = new Date()
  for (const from of ticketStatuses) {
    for (const to of ticketStatuses) {
      if (from === 'closed' && to !== 'closed') t.notOk(canTransition(from, to), `closed → ${to} refused`)
      if (to === 'new' && from !== 'new') t.notOk(canTransition(from, to), `${from} → new refused`)
      if (to === 'closed' && from !== 'solved' && from !== 'closed')
        t.notOk(canTransition(from, to), `${from} → closed refused`)
      if (!canTransition(from, to) || from === to) continue
      const stamps = statusTimestamps(from, to, now)
      if (to === 'solved') t.same(stamps, { solvedAt: now })
      else if (to === 'closed') t.same(stamps, { closedAt: now })
      else if (from === 'solved') t.same(stamps, { solvedAt: null }, `${from} → ${to} clears solvedAt`)
      else t.same(stamps, {})
    }
  }
})

t.test('If-Match names the versions it accepts; weak and foreign tags match none', async (t) => {
  t.equal(parseIfMatch(undefined), undefined)
  t.equal(parseIfMatch(' * '), undefined)
  t.same(parseIfMatch('"3"'), [3])
  t.same(parseIfMatch('"1", "4"'), [1, 4])
  t.same(parseIfMatch('W/"3"'), [], 'a weak ETag never satisfies If-Match')
  t.same(parseIfMatch('"abc", 3'), [])
  fc.assert(fc.property(fc.integer({ min: 1, max: 1e9 - 1 }), (v) => parseIfMatch(etag(v))?.[0] === v))
})
