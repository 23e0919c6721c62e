/** Shared test helpers: fixtures (found relative to the repo), in-process runs, temp dirs. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Prng } from '@multifd/core';
import { main, type CliIo, type DecodeIndex } from '../src/index.js';

export const FIXTURES = fileURLToPath(new URL('../../../fixtures/', import.meta.url));

export function fixtureDir(version: '7.2' | '10.0', name: string): string {
  return join(FIXTURES, `qemu-${version}`, name);
}

/** The captured connection streams of a fixture (conn*.bin), in a deterministic shuffled order. */
export function streamFiles(dir: string, seed = dir): string[] {
  const files = readdirSync(dir)
    .filter((f) => /^conn\d+-(main|multifd-ch\d+)\.bin$/.test(f))
    .sort()
    .map((f) => join(dir, f));
  const rng = new Prng(seed);
  for (let i = files.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [files[i], files[j]] = [files[j]!, files[i]!];
  }
  return files;
}

export function readJson<T = any>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `multifd <argv>` in-process with captured output. */
export async function run(argv: string[], options: Partial<CliIo> & { tty?: boolean } = {}): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: options.tty ?? false, columns: 100 },
    env: {},
    ...options,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

export interface Running {
  done: Promise<{ code: number; stdout: string; stderr: string }>;
  /** The port of `multifd: listening on HOST:PORT`. */
  port(): Promise<number>;
}

/** Start `multifd <argv>` in-process; its output is captured. */
export function start(argv: string[]): Running {
  let stdout = '';
  let stderr = '';
  let finished = false;
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: false, columns: 100 },
    env: {},
  };
  const done = main(argv, io).then((code) => {
    finished = true;
    return { code, stdout, stderr };
  });
  return {
    done,
    async port() {
      for (;;) {
        const m = /^multifd: listening on .+:(\d+)$/m.exec(stderr);
        if (m) return Number(m[1]);
        if (finished) throw new Error(`multifd ${argv[0]} ended before listening: ${stderr}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

/** `decode --json --out dir files...`; fails the test unless it succeeds. */
export async function decodeOk(files: string[], dir: string, extra: string[] = []): Promise<DecodeIndex> {
  const r = await run(['decode', '--json', '--out', dir, ...extra, ...files]);
  if (r.code !== 0) throw new Error(`decode failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as DecodeIndex;
}

/** The code of a one-line `multifd: CODE: message` error. */
export function errorCode(stderr: string): string | undefined {
  return /^multifd: (ERR_[A-Z0-9_]+): /.exec(stderr)?.[1];
}

const made: string[] = [];

export function tempDir(prefix = 'multifd-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** True when every byte is zero. */
export function allZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
