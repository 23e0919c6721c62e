import { describe, expect, it } from 'vitest';
import { runWithPeakRss } from '../src/index.js';

describe('runWithPeakRss', () => {
  it("reports the child's own peak RSS, its output and its exit code", async () => {
    const small = await runWithPeakRss("process.stdout.write('hi');");
    const big = await runWithPeakRss('const b = new Uint8Array(256 * 1024 * 1024); for (let i = 0; i < b.length; i += 4096) b[i] = 1; process.exitCode = 3;');
    expect(small.code).toBe(0);
    expect(small.stdout).toBe('hi');
    expect(big.code).toBe(3);
    expect(big.peakRssBytes - small.peakRssBytes).toBeGreaterThan(200 * 1024 * 1024);
    expect(big.stderr).toBe('');
  });
});
