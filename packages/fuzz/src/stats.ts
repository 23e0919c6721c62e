/**
 * What one input did, and the tallies of many. A *problem* is anything the
 * fuzzer exists to find; an *error* with a code is the expected answer to a
 * damaged input and is only counted.
 */
import { MultifdError } from '@multifd/core';

export type ProblemKind =
  /** A thrown value that is not a MultifdError, or a worker that died. */
  | 'crash'
  /** An input that did not settle within the time bound. */
  | 'hang'
  /** A write outside a RAMBlock (guard damaged, or a page asked for outside the block). */
  | 'outside-write'
  /** A MultifdError whose cause is a JavaScript engine error (TypeError, RangeError, ...). */
  | 'untyped'
  /** Success on an input the wire format says must be rejected. */
  | 'undetected'
  /** Success reporting every page although pages delivered nowhere else were removed. */
  | 'silent-loss'
  /** Rejection (or wrong page count) of an input a receiver must accept. */
  | 'false-reject'
  /** Two decoders (core and the reference, or two chunkings) disagree. */
  | 'inconsistent';

export const PROBLEM_KINDS: readonly ProblemKind[] = ['crash', 'hang', 'outside-write', 'untyped', 'undetected', 'silent-loss', 'false-reject', 'inconsistent'];

export interface Problem {
  kind: ProblemKind;
  detail: string;
}

export interface ExecResult {
  /** 'ok': decoded; 'error': a MultifdError; 'crash': anything else thrown; 'hang': did not settle. */
  outcome: 'ok' | 'error' | 'crash' | 'hang';
  code?: string;
  /** Constructor name of an untyped exception (escaped, or wrapped as a cause). */
  untyped?: string;
  message?: string;
  problems: Problem[];
  mode: string;
  seed: string;
  notes: string[];
  /** The input carried a decidable expectation: which one. */
  checked?: 'mustFail' | 'mustSucceed' | 'loss';
}

const ENGINE_ERRORS = new Set(['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError', 'EvalError', 'URIError', 'AggregateError']);

/** The class name of a thrown value ('null', 'string', ... for non-objects). */
export function ctorName(e: unknown): string {
  if (e === null) return 'null';
  if (typeof e !== 'object' && typeof e !== 'function') return typeof e;
  const name = (e as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name ? name : 'Object';
}

/**
 * Sort a thrown value: a MultifdError (typed), possibly wrapping an engine
 * error (a bug that was caught and relabelled), or anything else (a crash).
 */
export function classifyThrown(e: unknown): Pick<ExecResult, 'outcome' | 'code' | 'untyped' | 'message'> {
  const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
  if (!MultifdError.is(e)) return { outcome: 'crash', untyped: ctorName(e), message };
  let cause: unknown = (e as Error).cause;
  for (let depth = 0; cause !== undefined && cause !== null && depth < 10; depth++) {
    const name = ctorName(cause);
    if (ENGINE_ERRORS.has(name)) {
      return { outcome: 'error', code: e.code, untyped: `${name} (wrapped in ${e.code})`, message: `${message} <- ${name}: ${(cause as Error).message}` };
    }
    cause = (cause as { cause?: unknown }).cause;
  }
  return { outcome: 'error', code: e.code, message };
}

export interface Sample {
  index: number;
  kind: ProblemKind;
  detail: string;
  seed: string;
  mode: string;
  notes: string[];
  message?: string;
}

export interface TargetStats {
  execs: number;
  ok: number;
  errors: Record<string, number>;
  crashes: number;
  hangs: number;
  outsideWrites: number;
  untyped: Record<string, number>;
  undetected: number;
  silentLoss: number;
  falseRejects: number;
  inconsistent: number;
  /** Inputs whose result was decidable, by expectation. */
  checked: { mustFail: number; mustSucceed: number; loss: number };
  modes: Record<string, number>;
  /** Milliseconds spent running inputs (summed over workers). */
  busyMs: number;
  samples: Sample[];
}

export const MAX_SAMPLES = 25;

export function emptyStats(): TargetStats {
  return {
    execs: 0,
    ok: 0,
    errors: {},
    crashes: 0,
    hangs: 0,
    outsideWrites: 0,
    untyped: {},
    undetected: 0,
    silentLoss: 0,
    falseRejects: 0,
    inconsistent: 0,
    checked: { mustFail: 0, mustSucceed: 0, loss: 0 },
    modes: {},
    busyMs: 0,
    samples: [],
  };
}

const inc = (rec: Record<string, number>, key: string, n = 1) => {
  rec[key] = (rec[key] ?? 0) + n;
};

export function addResult(s: TargetStats, index: number, r: ExecResult): void {
  s.execs++;
  inc(s.modes, r.mode);
  if (r.outcome === 'ok') s.ok++;
  if (r.code !== undefined) inc(s.errors, r.code);
  if (r.checked) s.checked[r.checked]++;
  if (r.untyped !== undefined) inc(s.untyped, r.untyped);
  const kinds = new Set(r.problems.map((p) => p.kind));
  if (kinds.has('crash')) s.crashes++;
  if (kinds.has('hang')) s.hangs++;
  if (kinds.has('outside-write')) s.outsideWrites++;
  if (kinds.has('undetected')) s.undetected++;
  if (kinds.has('silent-loss')) s.silentLoss++;
  if (kinds.has('false-reject')) s.falseRejects++;
  if (kinds.has('inconsistent')) s.inconsistent++;
  for (const p of r.problems) {
    if (s.samples.length >= MAX_SAMPLES) break;
    s.samples.push({ index, kind: p.kind, detail: p.detail, seed: r.seed, mode: r.mode, notes: r.notes, ...(r.message ? { message: r.message } : {}) });
  }
}

export function mergeStats(into: TargetStats, from: TargetStats): void {
  into.execs += from.execs;
  into.ok += from.ok;
  for (const [k, v] of Object.entries(from.errors)) inc(into.errors, k, v);
  for (const [k, v] of Object.entries(from.untyped)) inc(into.untyped, k, v);
  for (const [k, v] of Object.entries(from.modes)) inc(into.modes, k, v);
  into.crashes += from.crashes;
  into.hangs += from.hangs;
  into.outsideWrites += from.outsideWrites;
  into.undetected += from.undetected;
  into.silentLoss += from.silentLoss;
  into.falseRejects += from.falseRejects;
  into.inconsistent += from.inconsistent;
  into.checked.mustFail += from.checked.mustFail;
  into.checked.mustSucceed += from.checked.mustSucceed;
  into.checked.loss += from.checked.loss;
  into.busyMs += from.busyMs;
  for (const sample of from.samples) if (into.samples.length < MAX_SAMPLES) into.samples.push(sample);
}

/** Problems of every kind, summed. */
export function problemCount(s: TargetStats): number {
  const untyped = Object.values(s.untyped).reduce((a, b) => a + b, 0);
  return s.crashes + s.hangs + s.outsideWrites + untyped + s.undetected + s.silentLoss + s.falseRejects + s.inconsistent;
}
