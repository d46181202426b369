import fc from 'fast-check'
import t from 'tap'
import { pgTextArray } from '../../../src/db/raw.ts'
import { slugify } from '../../../src/modules/kb/articles.ts'
import { canonicalLocale } from '../../../src/modules/kb/locales.ts'
import { plainText, renderMarkdown } from '../../../src/modules/kb/markdown.ts'
import { highlighted } from '../../../src/modules/kb/search.ts'
import { fuzzyPlan, parseSearchQuery, suggestionWords } from '../../../src/modules/kb/search-query.ts'

function balanced(text: string) {
  let depth = 0
  for (const c of text) {
    if (c === '(') depth++
    if (c === ')' && --depth < 0) return false
  }
  return depth === 0
}

t.test('search syntax becomes tsquery text that is always well formed', async (t) => {
  t.equal(parseSearchQuery('factura envío').text, 'factura & envío')
  t.equal(parseSearchQuery('"pedir un reembolso"').text, '(pedir <-> un <-> reembolso)')
  t.equal(parseSearchQuery('reemb*').text, 'reemb:*')
  t.same(
    parseSearchQuery('factura -correo'),
    {
      groups: parseSearchQuery('factura -correo').groups,
      text: 'factura',
      excluded: 'correo',
    },
    'what to find apart from what to leave out',
  )
  t.equal(parseSearchQuery('a -b -"c d"').excluded, 'b | (c <-> d)', 'any excluded term leaves a text out')
  t.equal(parseSearchQuery('envío OR devolución').text, '(envío | devolución)')
  t.equal(parseSearchQuery('Factura ENVÍO').text, 'factura & envío', 'lower case')
  t.equal(
    parseSearchQuery('e-mail').text,
    "('e-mail' | (e <-> mail))",
    'a hyphenated word: as the parser reads it, or a phrase',
  )
  t.equal(parseSearchQuery('order A-1093').text, "order & ('a-1093' | (a <-> 1093))", 'an order number')
  t.equal(parseSearchQuery('-A-1093').text, null, 'an excluded code alone: nothing to search for')
  t.equal(parseSearchQuery('pago -A-1093').excluded, "('a-1093' | (a <-> 1093))")
  t.equal(
    parseSearchQuery('soporte@tienda.com').text,
    "('soporte@tienda.com' | (soporte <-> tienda <-> com))",
  )
  t.equal(parseSearchQuery('1.5').text, "('1.5' | (1 <-> 5))", 'a version')
  t.equal(parseSearchQuery('A-10*').text, '(a <-> 10:*)', 'a prefix stays letters and digits')
  t.equal(parseSearchQuery('"A-1093"').text, '(a <-> 1093)', 'a phrase stays letters and digits')
  t.equal(parseSearchQuery('-correo').text, null, 'nothing positive: nothing to search for')
  t.equal(parseSearchQuery('¿¡!? *** ""').text, null, 'punctuation only')
  t.equal(
    parseSearchQuery("it's O'Reilly's").text,
    '(it <-> s) & (o <-> reilly <-> s)',
    'quotes never reach tsquery',
  )
  t.same(fuzzyPlan(parseSearchQuery('reembolzo de la a1093 -correo "envío gratis" reemb* x OR y')), {
    words: ['reembolzo'],
    kept: 'de & la & a1093 & (envío <-> gratis) & reemb:* & (x | y)',
  })
  t.same(fuzzyPlan(parseSearchQuery('"pedir reembolso"')), { words: [], kept: '(pedir <-> reembolso)' })

  const input = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 100 }),
    fc
      .array(
        fc.constantFrom(
          '"',
          '-',
          '*',
          'OR',
          'or',
          '|',
          '(',
          ')',
          '!',
          ':',
          '&',
          "'",
          '\\',
          'é',
          'ñ',
          ' ',
          'word',
          '٣',
        ),
        {
          maxLength: 40,
        },
      )
      .map((parts) => parts.join('')),
  )
  fc.assert(
    fc.property(input, (q) => {
      const { text } = parseSearchQuery(q)
      if (text === null) return true
      // Take away what this module writes; only words may be left, and codes quoted whole (their
      // characters words and code separators only: never a quote or backslash of their own).
      const codes = [...text.matchAll(/'([^']*)'/g)].map((m) => m[1] as string)
      if (
        !codes.every((c) =>
          /^[\p{L}\p{N}][\p{L}\p{M}\p{N}]*(?:[-_.@/:+#]+[\p{L}\p{N}][\p{L}\p{M}\p{N}]*)+$/u.test(c),
        )
      )
        return false
      const words = text
        .replace(/'[^']*'/g, ' ')
        .replace(/ <-> | & | \| /g, ' ')
        .replace(/:\*/g, '')
        .replace(/[()!]/g, ' ')
        .split(' ')
        .filter(Boolean)
      return (
        balanced(text) && words.length > 0 && words.every((w) => /^[\p{L}\p{N}][\p{L}\p{M}\p{N}]*$/u.test(w))
      )
    }),
    { numRuns: 2000 },
  )
})

t.test('suggestions take the words of the subject, then of the body, once each', async (t) => {
  t.same(suggestionWords('Quiero un reembolso', 'me cobraron dos veces el reembolso'), [
    'quiero',
    'reembolso',
    'cobraron',
    'dos',
    'veces',
  ])
  t.same(suggestionWords('¿?', 'a b'), [])
})

t.test('slugs are lower-case ASCII words joined by hyphens', async (t) => {
  t.equal(slugify('Cómo pedir un reembolso'), 'como-pedir-un-reembolso')
  t.equal(slugify('  Çà et là ! '), 'ca-et-la')
  t.equal(slugify('¿¡!?'), 'article')
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (title) => /^[a-z0-9]+(-[a-z0-9]+)*$/.test(slugify(title))),
    { numRuns: 1000 },
  )
  // Room for a ticket's number and a numbering suffix within the 64 characters the API accepts.
  t.equal(slugify('word '.repeat(40)).length <= 48, true)
  t.equal(slugify('00000000-0000-4000-8000-000000000000'), '00000000-0000-4000-8000-000000000000-article')
})

t.test('locales are BCP 47 tags as Intl writes them', async (t) => {
  t.equal(canonicalLocale('pt-br'), 'pt-BR')
  t.equal(canonicalLocale('ES'), 'es')
  t.throws(() => canonicalLocale('not a locale'), { code: 'validation' })
})

t.test('article bodies render to HTML that cannot run script', async (t) => {
  t.match(renderMarkdown('**bold** and [link](https://example.com)'), /<strong>bold<\/strong>/)
  t.match(renderMarkdown('[link](https://example.com)'), /rel="nofollow noopener noreferrer"/)
  t.notMatch(renderMarkdown('<script>alert(1)</script>'), /<script/i)
  t.notMatch(renderMarkdown('[x](javascript:alert(1))'), /href="javascript/i)
  t.notMatch(renderMarkdown('<img src=x onerror=alert(1)>'), /<img/i)
  t.notMatch(renderMarkdown('![x](http://insecure.example/a.png)'), /src="http:/, 'images over https only')
  t.notMatch(
    renderMarkdown('![x](//insecure.example/a.png)'),
    /src=/,
    'not over whatever scheme the page has',
  )
  t.match(renderMarkdown('![x](https://cdn.example/a.png)'), /<img src="https:\/\/cdn.example\/a.png"/)
  const hostile = fc.array(
    fc.constantFrom(
      '<script>',
      '</script>',
      '<img src=x onerror=alert(1)>',
      '[a](javascript:alert(1))',
      '[a](JaVaScRiPt:alert(1))',
      '![i](data:text/html,<script>)',
      '<a href="javascript:x">',
      '<iframe src=x>',
      '<svg onload=x>',
      '`code`',
      '**',
      '\n\n',
      '> ',
      '<style>',
      'text',
      '&lt;',
      '"',
      "'",
    ),
    { maxLength: 30 },
  )
  fc.assert(
    fc.property(hostile, (parts) => {
      const html = renderMarkdown(parts.join(''))
      // Tags only: the same words as escaped text are harmless.
      return !/<(script|iframe|svg|style)|<[^>]*(\son\w+=|href="\s*javascript:|src="data:)/i.test(html)
    }),
    { numRuns: 1000 },
  )
})

t.test('snippets are escaped text with marks', async (t) => {
  t.equal(highlighted('a <b> & \u0001c\u0002'), 'a &lt;b&gt; &amp; <mark>c</mark>')
  t.equal(plainText('## Title\n\n**Bold** [link](https://x) `code`'), 'Title Bold link code')
})

t.test('text arrays reach PostgreSQL as one literal, quotes and backslashes escaped', async (t) => {
  t.equal(pgTextArray(['a', 'b c', 'd"e', 'f\\g']), '{"a","b c","d\\"e","f\\\\g"}')
  t.equal(pgTextArray([]), '{}')
})
