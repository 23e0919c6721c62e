/**
 * Starting QEMU: a paused, headless VM with QMP on a unix socket in its own
 * temp directory, stderr captured, tracked until it exits (see tracker.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QemuHarnessError } from './errors.js';
import { HLT_BIOS } from './fixtures.js';
import { QmpClient, type QmpExecuteOptions } from './qmp-client.js';
import { qemuArgs, type QemuArgsOptions } from './qemu-args.js';
import { exited, terminate, type ExitInfo } from './terminate.js';
import { track, untrack } from './tracker.js';

export const DEFAULT_QEMU_BINARY = 'qemu-system-x86_64';

export interface QemuOptions extends QemuArgsOptions {
  /** Default `qemu-system-x86_64` from PATH. */
  binary?: string;
  /** Environment of the QEMU process (e.g. LD_LIBRARY_PATH for a private build). Default: ours. */
  env?: NodeJS.ProcessEnv;
  /** For messages. Default `qemu-<pid>`. */
  name?: string;
  /** How long QEMU may take to open QMP and greet. Default 15 s. */
  qmpConnectTimeoutMs?: number;
  /** Default timeout of each QMP command. Default 10 s. */
  commandTimeoutMs?: number;
  /** Between SIGTERM and SIGKILL in kill(). Default 2 s. */
  killGraceMs?: number;
}

/** A started QEMU. */
export interface QemuVm {
  readonly name: string;
  readonly pid: number;
  readonly binary: string;
  readonly args: readonly string[];
  /** Private temp directory (QMP socket); deleted when QEMU is gone. */
  readonly dir: string;
  readonly qmp: QmpClient;
  readonly child: ChildProcess;
  /** Resolves when QEMU has exited, however that happened. */
  readonly exited: Promise<ExitInfo>;
  /** Everything QEMU wrote to stderr and stdout so far (the last 1 MiB). */
  stderr(): string;
  /** Shorthand for `qmp.execute`. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, options?: QmpExecuteOptions): Promise<T>;
  /** Close QMP, SIGTERM, SIGKILL after `killGraceMs`; resolves once QEMU is gone. Safe to call again. */
  kill(): Promise<ExitInfo>;
}

const STDERR_LIMIT = 1 << 20;

/** Start QEMU and connect to its QMP socket. On any failure the process is killed before the error is thrown. */
export async function startQemu(options: QemuOptions = {}): Promise<QemuVm> {
  const binary = options.binary ?? DEFAULT_QEMU_BINARY;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qemu-harness-'));
  const qmpPath = path.join(dir, 'qmp.sock');
  const args = qemuArgs({ ...options, bios: options.bios === undefined ? HLT_BIOS : options.bios }, qmpPath);

  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    if (output.length > STDERR_LIMIT) output = output.slice(-STDERR_LIMIT);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const spawnError = new Promise<Error>((resolve) => child.on('error', resolve));
  if (child.pid === undefined) {
    fs.rmSync(dir, { recursive: true, force: true });
    const error = await spawnError;
    throw new QemuHarnessError('ERR_QEMU_START', `cannot start ${binary}: ${error.message}`, { cause: error });
  }
  const pid = child.pid;
  const name = options.name ?? `qemu-${pid}`;
  const gone = exited(child);
  const processExited = new AbortController();
  let killing: Promise<ExitInfo> | undefined;
  let qmp: QmpClient | undefined;

  const tracked = {
    pid,
    dir,
    kill: (): Promise<ExitInfo> => {
      killing ??= (async () => {
        qmp?.close();
        try {
          return await terminate(child, options.killGraceMs ?? 2000);
        } finally {
          cleanup();
        }
      })();
      return killing;
    },
  };
  const cleanup = (): void => {
    untrack(tracked);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  track(tracked);
  void gone.then((info) => {
    processExited.abort(new Error(`${name} exited (code ${info.code}, signal ${info.signal})`));
    cleanup();
  });

  try {
    qmp = await QmpClient.connect(qmpPath, {
      connectTimeoutMs: options.qmpConnectTimeoutMs ?? 15_000,
      commandTimeoutMs: options.commandTimeoutMs ?? 10_000,
      signal: processExited.signal,
    });
  } catch (error) {
    const exitedEarly = processExited.signal.aborted;
    const info = await tracked.kill();
    const detail = exitedEarly ? 'exited before QMP was ready' : (error as Error).message;
    throw new QemuHarnessError(
      exitedEarly ? 'ERR_QEMU_EXITED' : 'ERR_QEMU_QMP_CONNECT',
      `${name} (${binary} ${args.join(' ')}): ${detail} (exit code ${info.code}, signal ${info.signal}); output: ${output.trim() || '(none)'}`,
      { cause: error },
    );
  }

  const client = qmp;
  return {
    name,
    pid,
    binary,
    args,
    dir,
    qmp: client,
    child,
    exited: gone,
    stderr: () => output,
    execute: (command, commandArgs, executeOptions) => client.execute(command, commandArgs, executeOptions),
    kill: tracked.kill,
  };
}
