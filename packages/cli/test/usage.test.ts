/** Command-line handling: help, and usage errors as one line with a stable code. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/index.js';
import { errorCode, fixtureDir, removeTempDirs, run, streamFiles, tempDir } from './helpers.js';

afterAll(removeTempDirs);

/** A failed run: the exit code, the code of its single stderr line, nothing on stdout. */
async function fails(argv: string[], exit: number, code: string): Promise<string> {
  const r = await run(argv);
  expect(r.code).toBe(exit);
  expect(r.stdout).toBe('');
  expect(r.stderr.split('\n')).toHaveLength(2); // one line + the final newline
  expect(errorCode(r.stderr)).toBe(code);
  return r.stderr;
}

describe('help', () => {
  it('--help lists the commands', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: multifd <command>/m);
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // Each command with the start of its summary (the rest may wrap onto the next lines).
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c.name} +${escape(c.summary.split(' ').slice(0, 4).join(' '))}`, 'm'));
    expect(r.stdout).toMatch(/decode +rebuild RAM/);
    expect(r.stderr).toBe('');
  });

  it('decode --help and help decode show the options', async () => {
    for (const argv of [['decode', '--help'], ['help', 'decode'], ['decode', '-h', '--bogus']]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: multifd decode \[--out DIR\] \[--json\] \[--method NAME\] FILE\.\.\./);
      for (const flag of ['--out DIR', '--json', '--method NAME', '--help']) expect(r.stdout).toContain(flag);
    }
  });

  it('--version prints the version', async () => {
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe('usage errors (exit 2)', () => {
  it('no command', () => fails([], 2, 'ERR_MULTIFD_USAGE'));
  it('an unknown command', async () => expect(await fails(['decoder'], 2, 'ERR_MULTIFD_USAGE')).toContain('unknown command "decoder"'));
  it('an unknown flag', async () => {
    const files = streamFiles(fixtureDir('7.2', 'nocomp-1ch'));
    expect(await fails(['decode', '--outdir', 'x', ...files], 2, 'ERR_MULTIFD_USAGE')).toContain('decode: unknown option --outdir');
  });
  it('an option without its value', async () => expect(await fails(['decode', '--out'], 2, 'ERR_MULTIFD_USAGE')).toContain('decode: --out needs a value'));
  it("a value that starts with '-': our words, not the option parser's", async () => {
    expect(await fails(['compare', '--sample-size', '-4K'], 2, 'ERR_MULTIFD_USAGE')).toContain("--sample-size needs a value; one that starts with '-' is written --sample-size=VALUE");
    expect(await fails(['compare', '--json=yes'], 2, 'ERR_MULTIFD_USAGE')).toContain('--json takes no value');
  });
  it("a level outside the codec's own range, or for a codec without levels, with that codec's range", async () => {
    const image = join(tempDir(), 'ram.bin');
    writeFileSync(image, new Uint8Array(4096));
    const send = ['send', '--to', '127.0.0.1:1', '--channels', '1'];
    expect(await fails([...send, '--method', 'zlib', '--level', '99', image], 2, 'ERR_MULTIFD_USAGE')).toContain('--level 99: zlib level 99 is outside 0-9');
    expect(await fails([...send, '--method', 'zstd', '--level', '0', image], 2, 'ERR_MULTIFD_USAGE')).toContain('--level 0: zstd level 0 is outside 1-19');
    expect(await fails([...send, '--method', 'nocomp', '--level', '3', image], 2, 'ERR_MULTIFD_USAGE')).toContain('nocomp has no compression levels');
    const replay = ['replay', '--to', '127.0.0.1:1', '--channels', '1', '--method', 'zstd', '--level', '22', image];
    expect(await fails(replay, 2, 'ERR_MULTIFD_USAGE')).toContain('--level 22: zstd level 22 is outside 1-19');
  });
  it('an unknown method anywhere a method is named', async () => {
    expect(await fails(['proxy', '--listen', '127.0.0.1:0', '--to', '127.0.0.1:1', '--channels', '1', '--in-method', 'lz4'], 2, 'ERR_MULTIFD_USAGE')).toContain('--in-method lz4');
    expect(await fails(['receive', '--listen', '127.0.0.1:0', '--channels', '1', '--out', tempDir(), '--method', 'lz4'], 2, 'ERR_MULTIFD_USAGE')).toContain('--method lz4');
  });
  it('no FILE', async () => expect(await fails(['decode', '--json'], 2, 'ERR_MULTIFD_USAGE')).toContain('no FILE'));
  it('an unknown --method', async () => {
    const files = streamFiles(fixtureDir('7.2', 'nocomp-1ch'));
    expect(await fails(['decode', '--method', 'lz4', ...files], 2, 'ERR_MULTIFD_USAGE')).toContain('no codec named "lz4"');
  });
  it('two main streams', async () => {
    const a = join(fixtureDir('7.2', 'nocomp-2ch'), 'conn0-main.bin');
    const b = join(fixtureDir('7.2', 'zstd-2ch'), 'conn0-main.bin');
    expect(await fails(['decode', a, b], 2, 'ERR_MULTIFD_USAGE')).toContain('2 main streams');
  });
  it('the same file twice', async () => {
    const a = join(fixtureDir('7.2', 'nocomp-2ch'), 'conn1-multifd-ch1.bin');
    expect(await fails(['decode', a, a], 2, 'ERR_MULTIFD_USAGE')).toContain('are the same file');
  });
});

describe('input errors (exit 1)', () => {
  it('a missing file', async () => {
    const line = await fails(['decode', join(tempDir(), 'nope.bin')], 1, 'ERR_MULTIFD_IO');
    expect(line).toMatch(/no such file \(.*nope\.bin\)/);
  });
  it('a directory', () => fails(['decode', tempDir()], 1, 'ERR_MULTIFD_IO'));
  it('a file that is neither a main stream nor a channel', async () => {
    const file = join(tempDir(), 'notes.txt');
    writeFileSync(file, 'hello, world\n');
    const line = await fails(['decode', file], 1, 'ERR_MULTIFD_STREAM_KIND');
    expect(line).toContain('notes.txt, byte 0');
  });
  it('a file too short to tell', async () => {
    const file = join(tempDir(), 'short.bin');
    writeFileSync(file, 'QE');
    await fails(['decode', file], 1, 'ERR_MULTIFD_TRUNCATED');
  });
  it('--out naming a file', async () => {
    const file = join(tempDir(), 'taken');
    writeFileSync(file, '');
    await fails(['decode', '--out', file, ...streamFiles(fixtureDir('7.2', 'nocomp-1ch'))], 1, 'ERR_MULTIFD_IO');
  });
});
