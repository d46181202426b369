/**
 * Small helpers the benches (bench/run.ts, bench/sla.ts, bench/kb.ts) share: number formatting for the
 * reports, env parsing, timing, child processes, CPU counters from /proc, percentiles and the writing of
 * bench/RESULTS.md. Database helpers are in bench/databases.ts.
 */
import type { ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const benchDir = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(benchDir, '..')

// ---------------------------------------------------------------------------------------------------
// Formatting and env

/** A number with `digits` decimals, or `—` when it is not finite (a figure that could not be measured). */
export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—')

/** A rounded number with thousands separators (`12,345`), or `—` when it is not finite. */
export const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—')

/** The ✓/✗ of a report row. */
export const mark = (ok: boolean) => (ok ? '✓' : '✗')

/** An env value as a positive number; unset, empty, zero, negative or not a number gives the fallback. */
export function positiveNumber(value: string | undefined, fallback: number): number {
  const n = Number(value)
  return value && Number.isFinite(n) && n > 0 ? n : fallback
}

// ---------------------------------------------------------------------------------------------------
// Time

/** Milliseconds since a `process.hrtime.bigint()` reading. */
export const msSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

// ---------------------------------------------------------------------------------------------------
// Child processes

/** Whether a child process has finished (by exiting or by a signal). */
export const exited = (proc: ChildProcess) => proc.exitCode !== null || proc.signalCode !== null

/**
 * Stops a child process: SIGTERM, SIGKILL if it is still there after 5 s, and no more waiting after 8 s
 * (cleanup must not hang on a process that ignores both).
 */
export async function stopProcess(proc: ChildProcess) {
  if (exited(proc)) return
  const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  proc.kill('SIGTERM')
  const timer = setTimeout(() => {
    if (!exited(proc)) proc.kill('SIGKILL')
  }, 5_000)
  await Promise.race([gone, sleep(8_000)])
  clearTimeout(timer)
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the system picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

// ---------------------------------------------------------------------------------------------------
// CPU from /proc (Linux; null elsewhere or when the process is gone)

/** CPU seconds (user + system) a process has used so far; Linux counts in 1/100 s. */
export function cpuSeconds(pid: number | string): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return null
  }
}

/** Busy CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineCpu(): number | null {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/) ?? []
    const [user, nice, system, , , irq, softirq, steal] = ticks.map(Number)
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100
  } catch {
    return null
  }
}

// ---------------------------------------------------------------------------------------------------
// Figures

/** The p-th percentile (nearest rank) of values sorted ascending; NaN when there are none. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index] ?? Number.NaN
}

// ---------------------------------------------------------------------------------------------------
// bench/RESULTS.md

const RESULTS_TITLE =
  '# Benchmark results\n\nWritten by `BENCH_WRITE_RESULTS=1 npm run bench`, newest first.\n'

export interface WriteResultsOptions {
  /** Logs `wrote bench/RESULTS.md` (with the bench's prefix). */
  log: (message: string) => void
  /** The report's `### …` heading inside today's section; without one the report is the whole section. */
  subheading?: string
}

/**
 * Records a report in bench/RESULTS.md, whose `## YYYY-MM-DD` sections come newest first. Without a
 * subheading (run.ts, the first of `npm run bench`) the report becomes today's section, at the top,
 * replacing an earlier one of that day with everything in it. With one (sla.ts, kb.ts) it goes at the end
 * of today's section under that subheading, replacing an earlier subsection of that name; with no section
 * for today, it starts one at the top.
 */
export function writeResults(report: string, day: string, { log, subheading }: WriteResultsOptions) {
  const file = path.join(benchDir, 'RESULTS.md')
  const heading = `## ${day}`
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : RESULTS_TITLE
  const parts = existing.split(/^(?=## )/m)
  const head = parts[0]?.startsWith('## ') ? RESULTS_TITLE : (parts[0] ?? RESULTS_TITLE)
  const isToday = (s: string) => s.startsWith(`${heading}\n`)
  let sections = parts.slice(parts[0]?.startsWith('## ') ? 0 : 1)
  if (subheading === undefined) {
    sections = [`${heading}\n\n${report.trim()}\n`, ...sections.filter((s) => !isToday(s))]
  } else {
    const subsection = `${subheading}\n\n${report.trim()}\n`
    const today = sections.findIndex(isToday)
    if (today === -1) {
      sections.unshift(`${heading}\n\n${subsection}`)
    } else {
      const lines = (sections[today] as string).trimEnd().split('\n')
      const start = lines.indexOf(subheading)
      if (start !== -1) {
        let end = lines.findIndex((line, i) => i > start && /^#{2,3} /.test(line))
        if (end === -1) end = lines.length
        lines.splice(start, end - start)
      }
      sections[today] = `${lines.join('\n').trimEnd()}\n\n${subsection}`
    }
  }
  writeFileSync(file, `${head.trimEnd()}\n\n${sections.map((s) => `${s.trim()}\n`).join('\n')}`)
  log(`wrote ${path.relative(root, file)}`)
}
