/**
 * Runs fuzz targets on worker threads (one per core by default) and keeps
 * the tallies. The main thread is the watchdog: an input whose start time in
 * the shared heartbeat is older than the hang bound is a hang, wherever the
 * worker is stuck (a synchronous loop, a promise that never settles), and a
 * worker that dies is a crash. Either way the worker is replaced and its
 * range resumes after the offending input, so the counts stay exact and every
 * input is run once.
 */
import { Worker } from 'node:worker_threads';
import { ALL_TARGETS, type TargetName } from './corpus.js';
import { MAX_SAMPLES, emptyStats, mergeStats, type ProblemKind, type TargetStats } from './stats.js';
import type { TargetOptions } from './targets.js';
import type { FromWorker, ToWorker, WorkerData } from './worker.js';

export interface PlanItem {
  target: TargetName;
  execs: number;
  /** First input index (default 0). */
  from?: number;
}

export interface PoolOptions {
  workers: number;
  options: TargetOptions;
  /** Faults to inject in the first worker (tests of the pool itself). */
  faults?: WorkerData['faults'];
  /** Inputs per task handed to a worker. */
  taskSize?: (target: TargetName) => number;
  /** Extra time over the hang bound before the watchdog acts (ms). */
  graceMs?: number;
}

export interface TargetRun extends TargetStats {
  /** Wall-clock time from the target's first task to its last (ms). */
  wallMs: number;
}

interface Task {
  target: TargetName;
  start: number;
  end: number;
  skip: number[];
}

interface Slot {
  worker: Worker;
  beat: Float64Array;
  task?: Task;
  /** First index of the task not counted yet. */
  next: number;
  ready: boolean;
  gone: boolean;
}

const DEFAULT_TASK: Record<TargetName, number> = {
  nocomp: 2000,
  'zlib-pako': 1000,
  'zlib-node': 2000,
  zstd: 2000,
  main: 10000,
  packet: 20000,
  initial: 20000,
};

export class FuzzPool {
  readonly totals = new Map<TargetName, TargetRun>();
  readonly #o: PoolOptions;
  readonly #slots: Slot[] = [];
  readonly #queue: Task[] = [];
  readonly #started = new Map<TargetName, number>();
  readonly #pending = new Map<TargetName, number>();
  #watchdog: NodeJS.Timeout | undefined;
  #resolve!: () => void;
  #reject!: (e: unknown) => void;
  #finished = false;

  constructor(options: PoolOptions) {
    this.#o = options;
  }

  async run(plan: readonly PlanItem[]): Promise<Map<TargetName, TargetRun>> {
    for (const item of plan) {
      const size = this.#o.taskSize?.(item.target) ?? DEFAULT_TASK[item.target];
      const from = item.from ?? 0;
      this.totals.set(item.target, { ...emptyStats(), wallMs: 0 });
      let tasks = 0;
      for (let s = from; s < from + item.execs; s += size) {
        this.#queue.push({ target: item.target, start: s, end: Math.min(from + item.execs, s + size), skip: [] });
        tasks++;
      }
      this.#pending.set(item.target, tasks);
    }
    const done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    if (this.#queue.length === 0) return this.totals;
    for (let i = 0; i < Math.max(1, this.#o.workers); i++) this.#spawn();
    this.#watchdog = setInterval(() => this.#watch(), 100);
    try {
      await done;
    } finally {
      this.#finished = true;
      clearInterval(this.#watchdog);
      await Promise.all(this.#slots.map((s) => (s.gone ? undefined : s.worker.terminate())));
    }
    return this.totals;
  }

  /** Inputs done so far, all targets. */
  get execs(): number {
    let n = 0;
    for (const t of this.totals.values()) n += t.execs;
    return n;
  }

  #spawn(): void {
    const heartbeat = new SharedArrayBuffer(3 * 8);
    // Injected faults go to the first worker only: its replacement must run clean.
    const data: WorkerData = { options: this.#o.options, heartbeat, ...(this.#slots.length === 0 && this.#o.faults ? { faults: this.#o.faults } : {}) };
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: data });
    const slot: Slot = { worker, beat: new Float64Array(heartbeat), next: 0, ready: false, gone: false };
    this.#slots.push(slot);
    worker.on('message', (m: FromWorker) => this.#onMessage(slot, m));
    worker.on('error', (e) => this.#lost(slot, `worker error: ${e instanceof Error ? e.message : String(e)}`));
    worker.on('exit', (code) => {
      if (!slot.gone) this.#lost(slot, code === 0 ? 'never-settled' : `worker exited with code ${code}`);
    });
  }

  #onMessage(slot: Slot, m: FromWorker): void {
    switch (m.code) {
      case 'READY':
        slot.ready = true;
        this.#assign(slot);
        return;
      case 'PROGRESS':
        mergeStats(this.totals.get(m.target)!, m.stats);
        slot.next = m.next;
        return;
      case 'DONE':
        mergeStats(this.totals.get(m.target)!, m.stats);
        slot.task = undefined;
        this.#taskDone(m.target);
        this.#assign(slot);
        return;
      case 'ERROR':
        this.#reject(new Error(`fuzz worker failed: ${m.message}`));
        return;
      default:
        this.#reject(new Error(`unknown message from a fuzz worker: ${JSON.stringify(m)}`));
    }
  }

  #assign(slot: Slot): void {
    if (this.#finished || slot.gone || !slot.ready || slot.task) return;
    const task = this.#queue.shift();
    if (!task) {
      if (this.#slots.every((s) => s.gone || !s.task) && this.#queue.length === 0) this.#resolve();
      return;
    }
    if (!this.#started.has(task.target)) this.#started.set(task.target, Date.now());
    slot.task = task;
    slot.next = task.start;
    slot.worker.postMessage({ code: 'TASK', ...task } satisfies ToWorker);
  }

  #taskDone(target: TargetName): void {
    const left = (this.#pending.get(target) ?? 1) - 1;
    this.#pending.set(target, left);
    if (left === 0) this.totals.get(target)!.wallMs = Date.now() - (this.#started.get(target) ?? Date.now());
  }

  #watch(): void {
    const bound = this.#o.options.hangMs + (this.#o.graceMs ?? 1000);
    const now = Date.now();
    for (const slot of this.#slots) {
      if (slot.gone || !slot.task) continue;
      const started = slot.beat[2]!;
      if (started > 0 && now - started > bound) this.#lost(slot, 'hang');
    }
  }

  /** A worker hung or died during its task: count the input, replace the worker, resume after it. */
  #lost(slot: Slot, why: string): void {
    if (slot.gone || this.#finished) return;
    slot.gone = true;
    void slot.worker.terminate();
    const task = slot.task;
    if (!task) {
      // Died between tasks (or while loading): not an input's fault, but not fine either.
      this.#reject(new Error(`a fuzz worker was lost outside any input: ${why}`));
      return;
    }
    const inInput = slot.beat[2]! > 0;
    const index = inInput ? slot.beat[1]! : slot.next;
    const target = ALL_TARGETS[slot.beat[0]!] ?? task.target;
    const kind: ProblemKind = why === 'hang' || why === 'never-settled' ? 'hang' : 'crash';
    const s = this.totals.get(target)!;
    s.execs++;
    if (kind === 'hang') s.hangs++;
    else {
      s.crashes++;
      s.untyped[why] = (s.untyped[why] ?? 0) + 1;
    }
    if (s.samples.length < MAX_SAMPLES) {
      s.samples.push({ index, kind, detail: why === 'hang' ? `input ran longer than ${this.#o.options.hangMs} ms` : why, seed: '', mode: '', notes: [`rerun: --target ${target} --repro ${index} --seed ${this.#o.options.runSeed}`] });
    }
    // The rest of the task, without the lost input, goes first to a new worker.
    this.#queue.unshift({ target: task.target, start: slot.next, end: task.end, skip: [...task.skip, index] });
    this.#spawn();
  }
}
