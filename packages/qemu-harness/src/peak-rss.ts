/**
 * Running a piece of code in a Node process of its own and reading that
 * process's peak RSS: benchmarks and memory-bound tests measure one command
 * at a time this way (this process's RSS would include the test runner).
 */
import { spawn } from 'node:child_process';

export interface MeasuredRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall-clock seconds from spawn to exit. */
  seconds: number;
  /** The child's peak resident set size, bytes (NaN if it died before reporting it). */
  peakRssBytes: number;
}

/**
 * Run `body` (the statements of an ES module; it may `await` and set
 * process.exitCode) in a new Node process, which then reports its peak RSS.
 * `onStderr` sees the child's stderr as it comes.
 */
export function runWithPeakRss(body: string, onStderr?: (text: string) => void): Promise<MeasuredRun> {
  const script = `${body}\nprocess.stderr.write('\\nPEAK_RSS ' + process.resourceUsage().maxRSS * 1024 + '\\n');`;
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
    onStderr?.(stderr);
  });
  return new Promise((resolve) =>
    child.on('close', (code) =>
      resolve({
        code,
        stdout,
        stderr: stderr.replace(/\n?PEAK_RSS \d+\n$/, ''),
        seconds: (performance.now() - t0) / 1000,
        peakRssBytes: Number(/PEAK_RSS (\d+)/.exec(stderr)?.[1] ?? NaN),
      }),
    ),
  );
}

/** The body that runs the multifd CLI's main() (from its built dist/) with `args`. */
export function cliMainBody(cliDist: string, args: readonly string[]): string {
  return `
    const { main } = await import(${JSON.stringify(`${cliDist}/main.js`)});
    const { processIo } = await import(${JSON.stringify(`${cliDist}/io.js`)});
    process.exitCode = await main(${JSON.stringify(args)}, processIo());`;
}
