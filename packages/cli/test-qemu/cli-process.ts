/**
 * The built `multifd` command as a child process (its own event loop and
 * worker threads), tracked like the harness tracks QEMU: `killAllCli()` for
 * afterEach, and a process 'exit' hook that SIGKILLs whatever is left.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** packages/cli/dist/bin.js, built by the global setup before any test file runs. */
export const CLI_BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** The port of `multifd: listening on HOST:PORT` (receive, proxy); rejects if the process exits first or after `timeoutMs`. */
  listening(timeoutMs?: number): Promise<number>;
  /** The exit, with all output; after `timeoutMs` the process is killed and this rejects. */
  exit(timeoutMs: number): Promise<CliExit>;
  /** SIGTERM, SIGKILL after `graceMs`; resolves once the process is gone. */
  kill(graceMs?: number): Promise<void>;
}

const live = new Set<CliProcess>();
/** Every process started since the last `takeStarted()`, exited or not (for failure reports). */
const started: CliProcess[] = [];
let hooked = false;

function describeOutput(p: { name: string; stdout(): string; stderr(): string }): string {
  return `${p.name} stdout: ${p.stdout().trim() || '(none)'}; stderr: ${p.stderr().trim() || '(none)'}`;
}

/** Start `node dist/bin.js ...args`. */
export function startCli(args: string[], options: { name?: string; cwd?: string } = {}): CliProcess {
  // Plain node: no NODE_OPTIONS from the test runner (e.g. resolve conditions) leak into the CLI and its workers.
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [CLI_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: options.cwd });
  if (child.pid === undefined) throw new Error(`cannot start ${CLI_BIN}`);
  const pid = child.pid;
  const name = options.name ?? `multifd ${args[0] ?? ''} (pid ${pid})`;
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  // Registered at once so an early exit is never missed.
  const exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> =
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve({ code: child.exitCode, signal: child.signalCode })
      : once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  // stdout/stderr may still hold data when 'exit' fires: 'close' comes after the streams end.
  const closed = once(child, 'close').catch(() => undefined);

  let killing: Promise<void> | undefined;
  const proc: CliProcess = {
    name,
    child,
    pid,
    stdout: () => out,
    stderr: () => err,
    async listening(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = /^multifd: listening on (.+):(\d+)$/m.exec(err);
        if (match) return Number(match[2]);
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`${name} exited (code ${child.exitCode}, signal ${child.signalCode}) before listening; ${describeOutput(proc)}`);
        }
        if (Date.now() > deadline) {
          await proc.kill();
          throw new Error(`${name} not listening after ${timeoutMs} ms; ${describeOutput(proc)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async exit(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
      const result = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (!result) {
        await proc.kill();
        throw new Error(`${name} still running after ${timeoutMs} ms (killed); ${describeOutput(proc)}`);
      }
      await closed;
      return { ...result, stdout: out, stderr: err };
    },
    kill(graceMs = 1000) {
      killing ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        }
        live.delete(proc);
      })();
      return killing;
    },
  };
  live.add(proc);
  started.push(proc);
  void exited.then(() => live.delete(proc));
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const p of live) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    });
  }
  return proc;
}

/** Run a command to its end; throws (with its output) unless it exits 0 within `timeoutMs`. */
export async function runCli(args: string[], timeoutMs: number): Promise<CliExit> {
  const p = startCli(args);
  const result = await p.exit(timeoutMs);
  if (result.code !== 0) throw new Error(`${p.name} exited with code ${result.code} (signal ${result.signal}); ${describeOutput(p)}`);
  return result;
}

/** Throw unless `p` exits 0 within `timeoutMs`. */
export async function expectCliSuccess(p: CliProcess, timeoutMs: number): Promise<CliExit> {
  const result = await p.exit(timeoutMs);
  if (result.code !== 0) throw new Error(`${p.name} exited with code ${result.code} (signal ${result.signal}); ${describeOutput(p)}`);
  return result;
}

/** The processes started since the last call, with their output so far: `name`, exit and the last 4000 characters of stdout and stderr. */
export function takeStarted(): string[] {
  const tail = (s: string) => (s.length > 4000 ? `...${s.slice(-4000)}` : s);
  return started.splice(0).map((p) => {
    const status = p.child.exitCode !== null || p.child.signalCode !== null ? `exit code ${p.child.exitCode}, signal ${p.child.signalCode}` : 'running';
    return `${p.name} [${p.child.spawnargs.slice(2).join(' ')}] (${status})\n  stdout: ${tail(p.stdout().trim()) || '(none)'}\n  stderr: ${tail(p.stderr().trim()) || '(none)'}`;
  });
}

/** Kill every CLI process still running and wait until all are gone. */
export async function killAllCli(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill()));
}

export function liveCliCount(): number {
  return live.size;
}
