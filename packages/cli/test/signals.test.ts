/**
 * The built bin and signals: the first SIGTERM stops a command cleanly, and
 * one that cannot stop (blocked in a filesystem call) still exits 2 s
 * later; temp folders are gone either way. Each test waits for a state it
 * can see (the temp folder exists, the FIFO was opened) before it signals.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from './helpers.js';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
afterAll(removeTempDirs);

interface Exit {
  code: number | null;
  /** The signal the process died of, if it did. */
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Milliseconds from the signal to the exit. */
  afterSignalMs: number;
}

/** SIGTERM is pending for `pid` (the SigPnd/ShdPnd masks of /proc/PID/status). */
function sigtermPending(pid: number): boolean {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const bit = 1n << 14n; // SIGTERM is 15
  return [...status.matchAll(/^(?:SigPnd|ShdPnd):\s*([0-9a-f]+)$/gm)].some((m) => (BigInt(`0x${m[1]}`) & bit) !== 0n);
}

/** Start the bin with TMPDIR=`tmp`, wait until `ready()` holds, send SIGTERM (`times` times), wait for the exit. */
async function signalWhen(args: string[], tmp: string, ready: () => boolean, times = 1): Promise<Exit> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, TMPDIR: tmp, MULTIFD_DEBUG: '' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (code, signal) => resolve([code, signal])));
  while (!ready()) {
    if (child.exitCode !== null) throw new Error(`multifd ${args[0]} ended before the test could signal it: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const signalledAt = performance.now();
  for (let i = 0; i < times; i++) {
    // Two signals pending at once are delivered once: send the next after the kernel handed over the last.
    while (i > 0 && sigtermPending(child.pid!)) await new Promise((resolve) => setTimeout(resolve, 5));
    child.kill('SIGTERM');
  }
  const [code, signal] = await exited;
  return { code, signal, stderr, afterSignalMs: performance.now() - signalledAt };
}


/** decode on a FIFO that a writer holds open and never writes to: a command that cannot stop by itself. */
async function blockedDecode(times: number): Promise<Exit> {
  const dir = tempDir();
  const fifo = join(dir, 'main.fifo');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  // A writer that does not block opens only once a reader is there: then decode is in the FIFO, and will wait for bytes forever.
  let writer: number | undefined;
  try {
    return await signalWhen(
      ['decode', fifo],
      tmp,
      () => {
        try {
          writer ??= openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
        } catch {
          // ENXIO: no reader yet
        }
        return writer !== undefined;
      },
      times,
    );
  } finally {
    if (writer !== undefined) closeSync(writer);
  }
}

describe('signals', () => {
  it('SIGTERM during compare: exit 130 with one line, and its temp folder is removed', async () => {
    const tmp = tempDir();
    const compareDirs = () => readdirSync(tmp).filter((f) => f.startsWith('multifd-compare-'));
    const exit = await signalWhen(['compare', '--sample-size', '64M', '--methods', 'zlib', '--channels', '1'], tmp, () => compareDirs().length > 0);
    expect(exit.code).toBe(130);
    expect(exit.stderr).toMatch(/^multifd: ERR_MULTIFD_CANCELLED: interrupted.*\n$/);
    expect(compareDirs()).toEqual([]);
    // A margin for a loaded machine over the 2 s deadline.
    expect(exit.afterSignalMs).toBeLessThan(4000);
  });

  it('a compare killed outright (SIGKILL) leaves its temp folder, which the next compare removes', async () => {
    const tmp = tempDir();
    const compareDirs = () => readdirSync(tmp).filter((f) => f.startsWith('multifd-compare-'));
    const child = spawn(process.execPath, [BIN, 'compare', '--sample-size', '64M', '--methods', 'zlib', '--channels', '1'], { env: { ...process.env, TMPDIR: tmp }, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    while (compareDirs().length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGKILL');
    await exited;
    const left = compareDirs();
    expect(left).toHaveLength(1);
    const next = spawnSync(process.execPath, [BIN, 'compare', '--sample-size', '4M', '--methods', 'nocomp', '--channels', '1', '--profiles', 'qemu-7.2'], { env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8' });
    expect(next.status, next.stderr).toBe(0);
    expect(compareDirs()).toEqual([]);
  });

  it('a command that cannot stop (decode waiting on a FIFO that never sends) still ends, of the signal, at the 2 s deadline', async () => {
    const exit = await blockedDecode(1);
    // It dies of the signal (a thread blocked in read() would keep process.exit() waiting).
    expect(exit.signal).toBe('SIGTERM');
    expect(exit.stderr).toMatch(/still stopping 2000 ms after SIGTERM: exiting now/);
    expect(exit.afterSignalMs).toBeGreaterThanOrEqual(1900);
    expect(exit.afterSignalMs).toBeLessThan(4000);
  });

  it('a second SIGTERM ends it at once', async () => {
    const exit = await blockedDecode(2);
    expect(exit.signal).toBe('SIGTERM');
    expect(exit.stderr).not.toMatch(/still stopping/);
    expect(exit.afterSignalMs).toBeLessThan(1900);
  });
});
