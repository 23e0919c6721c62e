/**
 * A fuzz worker thread: builds targets on first use and runs the ranges of
 * inputs the main thread sends. Before each input it writes the input's
 * index and start time into shared memory, so the main thread can tell an
 * input that never returns (a synchronous hang cannot answer messages) and
 * terminate the thread.
 *
 * Protocol (main -> worker): { code: 'TASK', target, start, end, skip }.
 * Worker -> main: { code: 'READY' } | { code: 'PROGRESS', target, next, stats }
 * (stats since the last PROGRESS; `next` is the first index not counted yet)
 * | { code: 'DONE', target, next, stats } | { code: 'ERROR', message }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runRange } from './runner.js';
import { emptyStats, type TargetStats } from './stats.js';
import { ALL_TARGETS, type TargetName } from './corpus.js';
import { createTarget, type Target, type TargetOptions } from './targets.js';

export interface WorkerData {
  options: TargetOptions;
  /**
   * Faults to inject (for the pool's own tests): before input `hangAt` the
   * worker spins forever, before input `exitAt` the thread exits with code 3.
   */
  faults?: { hangAt?: number; exitAt?: number };
  /** Float64Array over a SharedArrayBuffer: [target index, input index, start time (Date.now())]; start 0 = idle. */
  heartbeat: SharedArrayBuffer;
}

export type ToWorker = { code: 'TASK'; target: TargetName; start: number; end: number; skip: number[] };
export type FromWorker =
  | { code: 'READY' }
  | { code: 'PROGRESS' | 'DONE'; target: TargetName; next: number; stats: TargetStats }
  | { code: 'ERROR'; message: string };

const PROGRESS_MS = 250;

if (parentPort) {
  const port = parentPort;
  const data = workerData as WorkerData;
  const beat = new Float64Array(data.heartbeat);
  const targets = new Map<TargetName, Promise<Target>>();
  const post = (m: FromWorker) => port.postMessage(m);

  port.on('message', (m: ToWorker) => {
    if (m.code !== 'TASK') {
      post({ code: 'ERROR', message: `unknown message ${JSON.stringify((m as { code?: unknown }).code)}` });
      return;
    }
    void (async () => {
      try {
        let target = targets.get(m.target);
        if (!target) targets.set(m.target, (target = createTarget(m.target, data.options)));
        const t = await target;
        const delta = emptyStats();
        let last = Date.now();
        const skip = new Set(m.skip);
        const ti = ALL_TARGETS.indexOf(m.target);
        await runRange(t, m.start, m.end, {
          skip,
          onStart(index) {
            beat[0] = ti;
            beat[1] = index;
            beat[2] = Date.now();
            const f = data.faults;
            if (f?.hangAt === index) for (;;);
            if (f?.exitAt === index) process.exit(3);
          },
          onResult(index) {
            beat[2] = 0;
            const now = Date.now();
            if (now - last >= PROGRESS_MS) {
              // postMessage copies synchronously: the tallies can be cleared right after.
              post({ code: 'PROGRESS', target: m.target, next: index + 1, stats: delta });
              Object.assign(delta, emptyStats());
              last = now;
            }
          },
        }, delta);
        post({ code: 'DONE', target: m.target, next: m.end, stats: delta });
      } catch (e) {
        post({ code: 'ERROR', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      }
    })();
  });
  post({ code: 'READY' });
}
