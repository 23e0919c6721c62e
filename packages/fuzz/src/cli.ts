#!/usr/bin/env node
/**
 * `npm run fuzz -- [options]`: the mutation fuzzer on every core.
 *
 *   --target T[,T...]   targets (default: all): nocomp, zlib-pako, zlib-node, zstd, main, packet, initial
 *   --codec C[,C...]    codec targets only: nocomp, zlib (both backends), zlib-pako, zlib-node, zstd
 *   --execs N           inputs per target (default 10000; 1e6 and 1M are understood)
 *   --seed S            run seed (default "multifd"): input i of target T is the same for the same seed
 *   --from N            first input index (default 0)
 *   --workers W         worker threads (default: available cores)
 *   --timeout-ms MS     an input taking longer is a hang (default 2000)
 *   --json              final report as JSON on stdout
 *   --repro I           run input I of one --target in this thread and print it (with --dump DIR: write its streams)
 *   --fixtures DIR      the QEMU captures (default: the repository's fixtures/)
 *
 * A progress line goes to stderr (rewritten in place on a terminal, every
 * 10 s otherwise). Exit status 0 when no input crashed, hung, wrote outside
 * a RAMBlock, threw an untyped exception or broke an oracle; 1 otherwise; 2
 * for a bad command line.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ALL_TARGETS, CODEC_TARGETS, isTargetName, type TargetName } from './corpus.js';
import { FuzzPool, type TargetRun } from './pool.js';
import { PROBLEM_KINDS, problemCount } from './stats.js';
import { createTarget, type TargetOptions } from './targets.js';

interface Args {
  targets: TargetName[];
  execs: number;
  seed: string;
  from: number;
  workers: number;
  timeoutMs: number;
  json: boolean;
  repro?: number;
  dump?: string;
  fixtures?: string;
}

class UsageError extends Error {}

function count(text: string | undefined, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(?:e(\d+))?([kKmM]?)$/.exec(text ?? '');
  if (!m) throw new UsageError(`${what}: expected a count, got ${JSON.stringify(text)}`);
  const n = Number(m[1]) * 10 ** Number(m[2] ?? 0) * (m[3]?.toLowerCase() === 'k' ? 1e3 : m[3]?.toLowerCase() === 'm' ? 1e6 : 1);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`${what}: ${text} is not a whole number`);
  return n;
}

export function parseArgs(argv: readonly string[]): Args {
  const a: Args = { targets: [...ALL_TARGETS], execs: 10000, seed: 'multifd', from: 0, workers: os.availableParallelism(), timeoutMs: 2000, json: false };
  const value = (i: number) => {
    if (argv[i + 1] === undefined) throw new UsageError(`${argv[i]} needs a value`);
    return argv[i + 1]!;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    switch (arg) {
      case '--target':
      case '--targets': {
        const names = value(i++).split(',');
        for (const n of names) if (!isTargetName(n)) throw new UsageError(`unknown target ${JSON.stringify(n)} (${ALL_TARGETS.join(', ')})`);
        a.targets = names as TargetName[];
        break;
      }
      case '--codec': {
        const out: TargetName[] = [];
        for (const n of value(i++).split(',')) {
          if (n === 'zlib') out.push('zlib-pako', 'zlib-node');
          else if ((CODEC_TARGETS as readonly string[]).includes(n)) out.push(n as TargetName);
          else throw new UsageError(`unknown codec ${JSON.stringify(n)} (nocomp, zlib, zlib-pako, zlib-node, zstd)`);
        }
        a.targets = out;
        break;
      }
      case '--execs':
        a.execs = count(value(i++), '--execs');
        break;
      case '--seed':
        a.seed = value(i++);
        break;
      case '--from':
        a.from = count(value(i++), '--from');
        break;
      case '--workers':
        a.workers = Math.max(1, count(value(i++), '--workers'));
        break;
      case '--timeout-ms':
        a.timeoutMs = Math.max(1, count(value(i++), '--timeout-ms'));
        break;
      case '--json':
        a.json = true;
        break;
      case '--repro':
        a.repro = count(value(i++), '--repro');
        break;
      case '--dump':
        a.dump = value(i++);
        break;
      case '--fixtures':
        a.fixtures = path.resolve(value(i++));
        break;
      case '-h':
      case '--help':
        throw new UsageError('');
      default:
        throw new UsageError(`unknown option ${JSON.stringify(arg)}`);
    }
  }
  return a;
}

const USAGE = `usage: npm run fuzz -- [--target T,...|--codec C,...] [--execs N] [--seed S] [--workers W] [--timeout-ms MS] [--json]
       npm run fuzz -- --target T --repro INDEX [--seed S] [--dump DIR]
targets: ${ALL_TARGETS.join(', ')}`;

export interface FuzzReport {
  seed: string;
  workers: number;
  timeoutMs: number;
  elapsedMs: number;
  targets: Record<string, TargetRun & { execsPerSec: number }>;
  totals: { execs: number; crashes: number; hangs: number; outsideWrites: number; untyped: number; undetected: number; silentLoss: number; falseRejects: number; inconsistent: number };
  clean: boolean;
}

export function buildReport(a: Pick<Args, 'seed' | 'workers' | 'timeoutMs'>, totals: ReadonlyMap<TargetName, TargetRun>, elapsedMs: number): FuzzReport {
  const targets: FuzzReport['targets'] = {};
  const sum = { execs: 0, crashes: 0, hangs: 0, outsideWrites: 0, untyped: 0, undetected: 0, silentLoss: 0, falseRejects: 0, inconsistent: 0 };
  let problems = 0;
  for (const [name, t] of totals) {
    const wall = t.wallMs || elapsedMs;
    targets[name] = { ...t, execsPerSec: Math.round((t.execs / Math.max(1, wall)) * 1000) };
    sum.execs += t.execs;
    sum.crashes += t.crashes;
    sum.hangs += t.hangs;
    sum.outsideWrites += t.outsideWrites;
    sum.untyped += Object.values(t.untyped).reduce((x, y) => x + y, 0);
    sum.undetected += t.undetected;
    sum.silentLoss += t.silentLoss;
    sum.falseRejects += t.falseRejects;
    sum.inconsistent += t.inconsistent;
    problems += problemCount(t);
  }
  return { seed: a.seed, workers: a.workers, timeoutMs: a.timeoutMs, elapsedMs: Math.round(elapsedMs), targets, totals: sum, clean: problems === 0 };
}

function progressLine(pool: FuzzPool, plan: readonly TargetName[], execs: number, t0: number): string {
  const parts: string[] = [];
  let bad = 0;
  for (const name of plan) {
    const t = pool.totals.get(name);
    if (!t) continue;
    bad += problemCount(t);
    if (t.execs === 0 || (t.execs >= execs && parts.length > 0 && name !== plan[plan.length - 1])) continue;
    parts.push(`${name} ${t.execs}/${execs}`);
  }
  const secs = (Date.now() - t0) / 1000;
  return `[fuzz] ${secs.toFixed(0)}s ${Math.round(pool.execs / Math.max(secs, 0.001))}/s | ${parts.slice(-2).join(' | ')} | problems ${bad}`;
}

export function formatReport(r: FuzzReport): string {
  const lines: string[] = [];
  const head = ['target', 'execs', 'execs/s', 'ok', 'crashes', 'hangs', 'outside', 'untyped', 'undetected', 'silent-loss', 'false-reject', 'inconsistent'];
  const rows = Object.entries(r.targets).map(([name, t]) => [
    name,
    String(t.execs),
    String(t.execsPerSec),
    String(t.ok),
    String(t.crashes),
    String(t.hangs),
    String(t.outsideWrites),
    String(Object.values(t.untyped).reduce((a, b) => a + b, 0)),
    String(t.undetected),
    String(t.silentLoss),
    String(t.falseRejects),
    String(t.inconsistent),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (row: string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  lines.push(fmt(head), ...rows.map(fmt));
  for (const [name, t] of Object.entries(r.targets)) {
    const errors = Object.entries(t.errors).sort((a, b) => b[1] - a[1]);
    lines.push('', `${name}: errors by code: ${errors.map(([c, n]) => `${c.replace('ERR_MULTIFD_', '')} ${n}`).join(', ') || 'none'}`);
    lines.push(`${name}: decidable inputs: must fail ${t.checked.mustFail}, must succeed ${t.checked.mustSucceed}, must report lost pages ${t.checked.loss}; modes ${Object.entries(t.modes).map(([m, n]) => `${m} ${n}`).join(', ')}`);
    for (const s of t.samples.slice(0, 10)) lines.push(`  ${s.kind} #${s.index} [${s.mode} ${s.seed}] ${s.detail} :: ${s.notes.join('; ')}`);
  }
  lines.push('', `seed ${r.seed}, ${r.workers} workers, hang bound ${r.timeoutMs} ms, ${(r.elapsedMs / 1000).toFixed(1)} s: ${r.totals.execs} inputs, ${r.clean ? 'no problems' : `PROBLEMS: ${PROBLEM_KINDS.join('/')} see above`}`);
  return lines.join('\n');
}

async function repro(a: Args): Promise<number> {
  if (a.targets.length !== 1) throw new UsageError('--repro needs exactly one --target');
  const options: TargetOptions = { runSeed: a.seed, hangMs: a.timeoutMs, ...(a.fixtures ? { fixtures: a.fixtures } : {}) };
  const target = await createTarget(a.targets[0]!, options);
  const index = a.repro!;
  if (a.dump) {
    const d = target.describe?.(index);
    if (!d) throw new UsageError(`target ${target.name} cannot dump its inputs`);
    mkdirSync(a.dump, { recursive: true });
    for (const [file, bytes] of Object.entries(d.streams)) writeFileSync(path.join(a.dump, file), bytes);
    process.stderr.write(`wrote ${Object.keys(d.streams).length} streams of input ${index} (${d.seed}: ${d.notes.join('; ')}) to ${a.dump}\n`);
  }
  const result = await target.run(index);
  process.stdout.write(`${JSON.stringify({ target: target.name, index, runSeed: a.seed, ...result }, null, 2)}\n`);
  return result.problems.length > 0 ? 1 : 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  let a: Args;
  try {
    a = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message ? `multifd-fuzz: ${e.message}\n` : ''}${USAGE}\n`);
      return e.message ? 2 : 0;
    }
    throw e;
  }
  if (a.repro !== undefined) return repro(a);
  const options: TargetOptions = { runSeed: a.seed, hangMs: a.timeoutMs, ...(a.fixtures ? { fixtures: a.fixtures } : {}) };
  const pool = new FuzzPool({ workers: a.workers, options });
  const t0 = Date.now();
  const tty = process.stderr.isTTY === true;
  let lastPrint = 0;
  const timer = setInterval(() => {
    const line = progressLine(pool, a.targets, a.execs, t0);
    if (tty) process.stderr.write(`\r${line}\x1b[K`);
    else if (Date.now() - lastPrint >= 10_000) {
      process.stderr.write(`${line}\n`);
      lastPrint = Date.now();
    }
  }, 500);
  let totals: Awaited<ReturnType<FuzzPool['run']>>;
  try {
    totals = await pool.run(a.targets.map((target) => ({ target, execs: a.execs, from: a.from })));
  } finally {
    clearInterval(timer);
  }
  process.stderr.write(`${tty ? '\r' : ''}${progressLine(pool, a.targets, a.execs, t0)}${tty ? '\x1b[K' : ''}\n`);
  const report = buildReport(a, totals, Date.now() - t0);
  process.stdout.write(a.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  return report.clean ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/fuzz/dist/cli.js')) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`multifd-fuzz: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
