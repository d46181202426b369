/**
 * Search box syntax, turned into `to_tsquery` text that can never be malformed: words are letters,
 * marks and digits only (the rest of the input is separators), joined by operators this module writes.
 *
 * - words: all must match (`factura envío`);
 * - `"…"`: a phrase, its words adjacent and in order;
 * - `word*`: a prefix (`reemb*`);
 * - `-word` / `-"…"`: must not match;
 * - `or` / `OR` between two terms: either.
 *
 * A term that is a code (an order number `A-1093`, a version `1.5`, an address `soporte@tienda.com`, a
 * host `tienda.com`) also matches as PostgreSQL's parser reads it in the texts, where it is one token
 * (`-1093`, `1.5`, the address) rather than the letters and digits it is made of.
 */
export interface SearchTerm {
  words: string[]
  prefix: boolean
  negated: boolean
  /** The term as typed, when it is a code (see above): handed to `to_tsquery` quoted, to be parsed so. */
  code?: string
}

export interface ParsedQuery {
  /** Groups joined by AND; the terms in a group by OR. */
  groups: SearchTerm[][]
  /** The `to_tsquery` text of what to find (ranked by), or null when nothing positive is left. */
  text: string | null
  /** The `to_tsquery` text of the excluded terms, any of which leaves a text out; null for none. */
  excluded: string | null
}

const MAX_TERMS = 32
const MAX_WORD = 64
// Letters and digits, with the marks that belong to them (Devanagari and Tamil vowel signs, say).
const wordPattern = /[\p{L}\p{N}][\p{L}\p{M}\p{N}]*/gu
// Words joined by the separators of codes: never a quote, backslash or space, so it can be quoted as is.
const codePattern = /^[\p{L}\p{N}][\p{L}\p{M}\p{N}]*(?:[-_.@/:+#]+[\p{L}\p{N}][\p{L}\p{M}\p{N}]*)+$/u

export const wordsOf = (text: string) =>
  (text.normalize('NFC').match(wordPattern) ?? []).map((w) => w.toLowerCase().slice(0, MAX_WORD))

function render(term: SearchTerm): string {
  const words =
    term.words.length === 1
      ? `${term.words[0]}${term.prefix ? ':*' : ''}`
      : `(${term.words.map((w, i) => (term.prefix && i === term.words.length - 1 ? `${w}:*` : w)).join(' <-> ')})`
  const inner = term.code ? `('${term.code}' | ${words})` : words
  return term.negated ? `!${inner}` : inner
}

export function parseSearchQuery(input: string): ParsedQuery {
  const groups: SearchTerm[][] = []
  let joinNext = false
  let count = 0
  const tokens = input.normalize('NFC').matchAll(/(-?)"([^"]*)"?|(\S+)/g)
  for (const [, minus, phrase, bare] of tokens) {
    if (count >= MAX_TERMS) break
    if (bare !== undefined && /^(or|\|)$/i.test(bare)) {
      joinNext = groups.length > 0
      continue
    }
    const negated = minus === '-' || (bare?.startsWith('-') ?? false)
    const raw = phrase ?? bare ?? ''
    const words = wordsOf(raw)
    if (words.length === 0) continue
    const prefix = phrase === undefined && raw.endsWith('*')
    const typed = bare?.replace(/^-/, '').normalize('NFC').toLowerCase()
    const code = !prefix && typed && typed.length <= MAX_WORD && codePattern.test(typed) ? typed : undefined
    const term: SearchTerm = { words, prefix, negated, ...(code ? { code } : {}) }
    count++
    const last = groups.at(-1)
    if (joinNext && last && !negated && !last.some((t) => t.negated)) last.push(term)
    else groups.push([term])
    joinNext = false
  }
  // (An excluded term is a group of its own: "or" never joins one.)
  const positive = groups.filter((g) => g.some((t) => !t.negated))
  const negated = groups
    .filter((g) => g.every((t) => t.negated))
    .map((g) => ({ ...(g[0] as SearchTerm), negated: false }))
  const excluded = negated.length === 0 ? null : negated.map(render).join(' | ')
  if (positive.length === 0) return { groups, text: null, excluded }
  const text = positive
    .map((group) =>
      group.length === 1 ? render(group[0] as SearchTerm) : `(${group.map(render).join(' | ')})`,
    )
    .join(' & ')
  return { groups, text, excluded }
}

/**
 * How a fuzzy retry treats the query: `words` are the plain words it may correct (whole terms of their
 * own, letters only, four or more); everything else to find (phrases, prefixes, alternatives, short
 * words, numbers) is `kept` as it was, as `to_tsquery` text. Exclusions are the query's own (`excluded`).
 */
export function fuzzyPlan(parsed: ParsedQuery): { words: string[]; kept: string | null } {
  const words: string[] = []
  const kept: string[] = []
  for (const group of parsed.groups) {
    const term = group[0] as SearchTerm
    // (Exclusions stay as they are: `parsed.excluded`.)
    if (group.every((t) => t.negated)) continue
    const word = term.words[0] as string
    if (
      group.length === 1 &&
      term.words.length === 1 &&
      !term.prefix &&
      !term.negated &&
      /^\p{L}{4,}$/u.test(word)
    ) {
      if (!words.includes(word)) words.push(word)
    } else {
      kept.push(group.length === 1 ? render(term) : `(${group.map(render).join(' | ')})`)
    }
  }
  return { words, kept: kept.length === 0 ? null : kept.join(' & ') }
}

/** The words of a ticket being written, for suggestions (the subject first, the body's start after). */
export function suggestionWords(subject: string, body: string): string[] {
  return [...new Set([...wordsOf(subject), ...wordsOf(body.slice(0, 4000))])]
    .filter((w) => w.length >= 3)
    .slice(0, 60)
}
