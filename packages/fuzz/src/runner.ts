/**
 * The in-process fuzz loop: run inputs [start, end) of one target, tallying
 * results. Used by the worker threads of `npm run fuzz` and, directly, by the
 * short fuzz run of the test suite. A thrown value that escapes a target
 * (a bug in the harness or a decoder throwing past it) counts as a crash of
 * that input; the loop goes on.
 */
import { addResult, ctorName, emptyStats, type ExecResult, type TargetStats } from './stats.js';
import type { Target } from './targets.js';

export interface RunHooks {
  /** Called before each input (the worker's watchdog heartbeat). */
  onStart?(index: number): void;
  /** Called after each input with the tallies so far. */
  onResult?(index: number, result: ExecResult, stats: TargetStats): void;
  /** Indexes not to run (an input that hung a previous worker). */
  skip?: ReadonlySet<number>;
}

/** Inputs between two turns of the event loop. */
const YIELD_EVERY = 16;

export async function runRange(target: Target, start: number, end: number, hooks: RunHooks = {}, stats: TargetStats = emptyStats()): Promise<TargetStats> {
  for (let i = start; i < end; i++) {
    if (hooks.skip?.has(i)) continue;
    // Native codec contexts (zstd's DCtx) are freed by finalizers that run
    // from the event loop: an input loop made only of resolved promises never
    // lets them run, and memory (and page faults) would grow without bound.
    if ((i - start) % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((resolve) => setImmediate(resolve));
    hooks.onStart?.(i);
    const t0 = performance.now();
    let result: ExecResult;
    try {
      result = await target.run(i);
    } catch (e) {
      const name = ctorName(e);
      result = {
        outcome: 'crash',
        untyped: name,
        message: e instanceof Error ? e.message : String(e),
        problems: [{ kind: 'crash', detail: `escaped the target: ${name}: ${e instanceof Error ? e.stack?.split('\n').slice(0, 4).join(' | ') : String(e)}` }],
        mode: 'unknown',
        seed: '',
        notes: [],
      };
    }
    stats.busyMs += performance.now() - t0;
    addResult(stats, i, result);
    hooks.onResult?.(i, result, stats);
  }
  return stats;
}
