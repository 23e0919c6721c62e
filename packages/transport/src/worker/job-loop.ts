/**
 * The worker side of the job protocol, shared by send and receive workers:
 * jobs are queued as they arrive and handled one at a time, in order, after
 * the worker's setup finished; the first failure is reported once (ERROR,
 * forwarded before the port closes) and stops the loop.
 */
import type { MessagePort } from 'node:worker_threads';

export interface JobLoop<Job> {
  /** Setup: connections, codecs. The worker says READY when it resolves. */
  start(): Promise<void>;
  /** Handle one job; false ends the loop (CLOSE, ABORT). */
  handle(job: Job): Promise<boolean>;
  /** Report a failure (post ERROR, release resources); called once. */
  fail(error: unknown): void;
}

export function serveJobs<Job>(port: MessagePort, loop: JobLoop<Job>): { failed: () => boolean; fail: (error: unknown) => void } {
  const queue: Job[] = [];
  let pumping = false;
  let failed = false;
  const fail = (e: unknown) => {
    if (failed) return;
    failed = true;
    loop.fail(e);
    port.close();
  };
  const started = loop.start().then(() => port.postMessage({ code: 'READY' }));
  started.catch(fail);
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      await started;
      while (queue.length > 0 && !failed) {
        if (!(await loop.handle(queue.shift()!))) {
          port.close(); // CLOSE or ABORT: nothing else comes, let the thread end
          return;
        }
      }
    } catch (e) {
      fail(e);
    } finally {
      pumping = false;
    }
  };
  port.on('message', (job: Job) => {
    queue.push(job);
    void pump();
  });
  return { failed: () => failed, fail };
}
