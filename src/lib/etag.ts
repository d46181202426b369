/** A resource's version as a strong ETag: `"3"`. */
export const etag = (version: number) => `"${version}"`

/**
 * The versions an `If-Match` header accepts: undefined when any will do (no header, or `*`), else the
 * versions named by its strong ETags. Weak or foreign tags name no version, so they never match.
 */
export function parseIfMatch(header: string | undefined): number[] | undefined {
  if (header === undefined || header.trim() === '*') return undefined
  return header
    .split(',')
    .map((tag) => /^"(\d{1,9})"$/.exec(tag.trim())?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number)
}
