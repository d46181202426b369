import MarkdownIt from 'markdown-it'
import sanitizeHtml from 'sanitize-html'

// Raw HTML in an article is shown as text (html: false); links are checked by markdown-it and again
// by the sanitizer, which is the one that decides: whatever the renderer lets through, only these
// tags, attributes and schemes reach a reader's page.
const markdown = new MarkdownIt({ html: false, linkify: true, typographer: false })

const allowed: sanitizeHtml.IOptions = {
  allowedTags: [
    ...sanitizeHtml.defaults.allowedTags,
    'img',
    'del',
    's',
    'input', // task lists
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel'],
    img: ['src', 'alt', 'title'],
    th: ['style'],
    td: ['style'],
    ol: ['start'],
    code: ['class'],
  },
  allowedStyles: {
    th: { 'text-align': [/^(left|right|center)$/] },
    td: { 'text-align': [/^(left|right|center)$/] },
  },
  allowedClasses: { code: [/^language-[\w-]+$/] },
  allowedSchemes: ['http', 'https', 'mailto', 'tel'],
  allowedSchemesByTag: { img: ['https'] },
  // `//host/x.png` would take the page's scheme: plain http on an http page.
  allowProtocolRelative: false,
  transformTags: {
    a: sanitizeHtml.simpleTransform('a', { rel: 'nofollow noopener noreferrer' }),
  },
}

/** An article body as HTML safe to put in a page: rendered by markdown-it, then sanitized. */
export function renderMarkdown(source: string): string {
  return sanitizeHtml(markdown.render(source), allowed)
}

/** Markdown as plain text, for snippets: markup and link targets dropped, text kept. */
export function plainText(source: string): string {
  return source
    .replace(/```[^\n]*\n?/g, ' ')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^\s{0,3}(#{1,6}|>|[-*+]|\d+[.)])\s+/gm, '')
    .replace(/[*_`~|]+/g, '')
    .replace(/\s+/g, ' ')
    .trim()
}
