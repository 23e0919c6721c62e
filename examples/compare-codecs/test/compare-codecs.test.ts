import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../dist/compare-codecs.js', import.meta.url));
const run = (args: string[], cwd: string) => promisify(execFile)(process.execPath, [script, ...args], { cwd });

describe('compare-codecs', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'compare-codecs-'));
    // A small "memory image": text pages, zero pages and random pages.
    const image = Buffer.alloc(2 * 1024 * 1024);
    for (let p = 0; p < image.length / 4096; p++) {
      const page = image.subarray(p * 4096, (p + 1) * 4096);
      if (p % 3 === 0) page.write(`page ${p}: the quick brown fox jumps over the lazy dog. `.repeat(60));
      else if (p % 3 === 1) for (let i = 0; i < page.length; i++) page[i] = (p * 2654435761 + i * 40503) >>> 13;
    }
    await writeFile(path.join(dir, 'memory.bin'), image);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("prints compare's table for the file and writes its chart", async () => {
    const { stdout } = await run(['memory.bin', '--out', 'chart.svg', '--methods', 'nocomp,zstd', '--channels', '1'], dir);
    expect(stdout).toMatch(/^zstd +1 +1 /m);
    expect(stdout).toMatch(/^nocomp +- +1 /m);
    expect(stdout).toContain('chart written to chart.svg');
    const svg = await readFile(path.join(dir, 'chart.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('zstd');
  });

  it("fails with compare's exit status and its one-line error when the file is missing", async () => {
    const failure = await run(['missing.bin', '--out', 'none.svg'], dir).catch((e: { code: number; stderr: string }) => e);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toMatch(/^multifd: ERR_MULTIFD_IO: /m);
  });
});
