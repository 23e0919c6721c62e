/**
 * The built bin in a child process: exit codes, exactly one error line on
 * stderr and no stack trace, and the workspace link `npx multifd` uses.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureDir, removeTempDirs, streamFiles, tempDir } from './helpers.js';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = join(PACKAGE, 'dist', 'bin.js');

function multifd(args: string[], bin = BIN) {
  const r = spawnSync(bin === BIN ? process.execPath : bin, bin === BIN ? [BIN, ...args] : args, { encoding: 'utf8', env: { ...process.env, MULTIFD_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  // Bring dist/ up to date (incremental: quick when nothing changed).
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', PACKAGE], { stdio: 'inherit' });
}, 120_000);
afterAll(removeTempDirs);

describe('the multifd bin', () => {
  it('starts with a node shebang', () => {
    expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('--help exits 0 and lists decode', () => {
    const r = multifd(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}decode +rebuild RAM/m);
    expect(r.stderr).toBe('');
  });

  it('decodes a capture: the summary on stdout, nothing on a non-TTY stderr', () => {
    const r = multifd(['decode', ...streamFiles(fixtureDir('7.2', 'nocomp-2ch'))]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^decoded nocomp: 2 channels, 3 epochs, 16466 pages, 6 RAMBlocks, .* MB\/s\)\n$/);
    expect(r.stderr).toBe('');
  });

  it('bad input: exit 1, one line on stderr, no stack trace', () => {
    const dir = fixtureDir('7.2', 'nocomp-2ch');
    const cut = join(tempDir(), 'ch0.bin');
    writeFileSync(cut, readFileSync(join(dir, 'conn2-multifd-ch0.bin')).subarray(0, 100_000));
    const r = multifd(['decode', '--out', tempDir(), join(dir, 'conn0-main.bin'), join(dir, 'conn1-multifd-ch1.bin'), cut]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^multifd: ERR_MULTIFD_TRUNCATED: channel ends inside a payload: .*ch0\.bin, channel 0, packet 1, byte 1408\)\n$/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('usage error: exit 2, one line', () => {
    const r = multifd(['decode', '--frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^multifd: ERR_MULTIFD_USAGE: decode: unknown option --frobnicate .*\n$/);
    expect(r.stderr.split('\n')).toHaveLength(2);
  });

  it('a file of neither kind: exit 1, ERR_MULTIFD_STREAM_KIND', () => {
    const r = multifd(['decode', join(fixtureDir('7.2', 'nocomp-2ch'), 'manifest.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^multifd: ERR_MULTIFD_STREAM_KIND: .*manifest\.json, byte 0\)\n$/);
  });

  it('is linked as node_modules/.bin/multifd (what npx multifd runs)', () => {
    const link = join(ROOT, 'node_modules', '.bin', 'multifd');
    expect(existsSync(link), 'run npm install at the root').toBe(true);
    const r = multifd(['decode', '--help'], link);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: multifd decode /);
  });
});
