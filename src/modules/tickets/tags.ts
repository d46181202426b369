/** Tags are compared and stored lower-case, trimmed and without duplicates. */
export const normalizeTags = (tags: string[]) =>
  [...new Set(tags.map((t) => t.trim().toLowerCase()).filter(Boolean))].sort()
