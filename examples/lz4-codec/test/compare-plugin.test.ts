import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// The `multifd` command, as installed with @multifd/cli.
const cli = path.join(path.dirname(createRequire(import.meta.url).resolve('@multifd/cli/package.json')), 'dist/bin.js');

describe('multifd compare --plugin multifd-codec-lz4', () => {
  it('runs lz4 next to zstd, each row decoded back and checked by the command', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'compare', '--plugin', 'multifd-codec-lz4', '--methods', 'lz4,zstd', '--channels', '2', '--sample-size', '8M', '--json']);
    const result = JSON.parse(stdout) as { rows: { method: string; channels: number; ratio: number; inputBytes: number }[] };
    expect(result.rows.map((r) => `${r.method} x${r.channels}`).sort()).toEqual(['lz4 x2', 'zstd x2']);
    const lz4 = result.rows.find((r) => r.method === 'lz4')!;
    expect(lz4.inputBytes).toBe(8 * 1024 ** 2);
    expect(lz4.ratio).toBeGreaterThan(1);
  });
});
