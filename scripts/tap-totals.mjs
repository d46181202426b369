// Sums tap's closing `# { total: N, pass: N, fail: N }` lines into the plain `N passed, N failed` line CI reads.
// Exits non-zero when a log has no summary (the runner died) or reports a failure.
import { readFileSync } from 'node:fs'

let passed = 0
let failed = 0
let ok = true
for (const file of process.argv.slice(2)) {
  const summaries = [...readFileSync(file, 'utf8').matchAll(/^# \{ total: (\d+)(.*?) \}$/gm)]
  const last = summaries.at(-1)
  if (!last) {
    console.error(`${file}: no tap summary found`)
    ok = false
    failed += 1
    continue
  }
  const count = (name) => Number(new RegExp(`${name}: (\\d+)`).exec(last[2])?.[1] ?? 0)
  passed += count('pass')
  failed += count('fail')
}
console.log(`${passed} passed, ${failed} failed`)
process.exit(ok && failed === 0 ? 0 : 1)
