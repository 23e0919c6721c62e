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
    const lz4 = result.rows.filter((r) => r.method === 'lz4');
    const zstd = result.rows.filter((r) => r.method === 'zstd');
    expect(lz4.length + zstd.length).toBe(result.rows.length);
    // As many lz4 rows as zstd rows: wherever compare runs zstd (each wire profile it compares), lz4 runs too.
    expect(lz4.length).toBe(zstd.length);
    expect(lz4.length).toBeGreaterThan(0);
    for (const row of lz4) {
      expect(row.channels).toBe(2);
      expect(row.inputBytes).toBe(8 * 1024 ** 2);
      expect(row.ratio).toBeGreaterThan(1);
    }
  });
});
