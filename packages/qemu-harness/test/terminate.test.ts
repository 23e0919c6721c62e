import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { exited, terminate } from '../src/index.js';

function node(code: string) {
  return spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
}

/** Resolves once the child has printed something (its handlers are installed). */
function ready(child: ReturnType<typeof node>): Promise<unknown> {
  return new Promise((resolve) => child.stdout.once('data', resolve));
}

describe('terminate', () => {
  it('ends a process with SIGTERM', async () => {
    const child = node('console.log("up"); setInterval(() => {}, 1000)');
    await ready(child);
    expect(await terminate(child, 5000)).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('SIGKILLs a process that ignores SIGTERM after the grace period', async () => {
    const child = node('process.on("SIGTERM", () => {}); console.log("up"); setInterval(() => {}, 1000)');
    await ready(child);
    const started = Date.now();
    expect(await terminate(child, 150)).toEqual({ code: null, signal: 'SIGKILL' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('SIGKILLs a stopped process', async () => {
    const child = node('console.log("up"); setInterval(() => {}, 1000)');
    await ready(child);
    process.kill(child.pid!, 'SIGSTOP');
    expect(await terminate(child, 150)).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('returns at once for a process that already exited', async () => {
    const child = node('process.exit(7)');
    await exited(child);
    expect(await terminate(child)).toEqual({ code: 7, signal: null });
  });
});
