import { describe, expect, it } from 'vitest';
import { QmpTimeoutError, liveQemuCount, startQemu } from '../src/index.js';
import { QEMU, killQemuAfterEach, requireQemu } from './helpers.js';

requireQemu();
killQemuAfterEach();

describe(`an unresponsive QEMU (${QEMU?.text})`, () => {
  it('a command to a SIGSTOPped QEMU times out with QmpTimeoutError, then kill() ends it with SIGKILL', async () => {
    const vm = await startQemu({ killGraceMs: 500 });
    expect(await vm.execute('query-status')).toMatchObject({ status: 'prelaunch' });
    process.kill(vm.pid, 'SIGSTOP');

    const started = Date.now();
    const error = await vm.execute('query-status', undefined, { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QmpTimeoutError);
    expect(error).toMatchObject({ code: 'ERR_QEMU_QMP_TIMEOUT', command: 'query-status', timeoutMs: 1000 });
    expect(Date.now() - started).toBeLessThan(3000);

    // A stopped process cannot act on SIGTERM: kill() has to escalate.
    expect(await vm.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(liveQemuCount()).toBe(0);
  }, 30_000);
});
