/**
 * What compare measures around a piece of work: wall clock, the process's CPU
 * time (all threads: the channel workers are threads of this process) and
 * peak RSS.
 */

/** Wall-clock and CPU seconds of one piece of work. */
export interface Window {
  seconds: number;
  cpuSeconds: number;
}

/** Measure `fn` (wall clock and the process's CPU time, all threads). */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; timed: Window }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const value = await fn();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { value, timed: { seconds, cpuSeconds: (used.user + used.system) / 1e6 } };
}

/** The highest RSS of the process until stop() (sampled every 20 ms). */
export function rssSampler(): { peak(): number; stop(): void } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  timer.unref();
  return {
    peak: () => Math.max(peak, process.memoryUsage.rss()),
    stop: () => clearInterval(timer),
  };
}
