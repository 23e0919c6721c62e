import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { QemuHarnessError, killAllQemu, liveQemuCount, startQemu } from '../src/index.js';

const FAKE_QEMU = fileURLToPath(new URL('./fake-qemu.mjs', import.meta.url));

afterEach(async () => {
  await killAllQemu();
  expect(liveQemuCount()).toBe(0);
});

describe('startQemu (with a fake QEMU binary)', () => {
  it('starts, connects QMP, captures stderr and kills with SIGTERM', async () => {
    const vm = await startQemu({ binary: FAKE_QEMU, name: 'fake', loaders: [{ file: '/x.bin', addr: 0x100000 }] });
    expect(vm.args).toContain('loader,file=/x.bin,addr=0x100000,force-raw=on');
    expect(await vm.execute('query-status')).toMatchObject({ status: 'prelaunch' });
    expect(vm.stderr()).toContain('fake-qemu: started');
    expect(liveQemuCount()).toBe(1);
    expect(fs.existsSync(vm.dir)).toBe(true);
    expect(await vm.kill()).toEqual({ code: null, signal: 'SIGTERM' });
    expect(await vm.kill()).toEqual({ code: null, signal: 'SIGTERM' });
    expect(fs.existsSync(vm.dir)).toBe(false);
    expect(liveQemuCount()).toBe(0);
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const vm = await startQemu({ binary: FAKE_QEMU, env: { ...process.env, FAKE_QEMU_IGNORE_TERM: '1' }, killGraceMs: 200 });
    const started = Date.now();
    expect(await vm.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(vm.stderr()).toContain('ignoring SIGTERM');
  });

  it('reports a QEMU that exits before QMP is ready, with its output', async () => {
    const error = await startQemu({ binary: FAKE_QEMU, env: { ...process.env, FAKE_QEMU_FAIL: '1' } }).catch((e: unknown) => e);
    expect(QemuHarnessError.is(error, 'ERR_QEMU_EXITED')).toBe(true);
    expect((error as Error).message).toContain('cannot load file');
    expect(liveQemuCount()).toBe(0);
  });

  it('reports a missing binary', async () => {
    const error = await startQemu({ binary: '/nonexistent/qemu-system-x86_64' }).catch((e: unknown) => e);
    expect(QemuHarnessError.is(error, 'ERR_QEMU_START')).toBe(true);
    expect(liveQemuCount()).toBe(0);
  });

  it('untracks a QEMU that exits on its own', async () => {
    const vm = await startQemu({ binary: FAKE_QEMU });
    await vm.execute('quit').catch(() => undefined);
    expect(await vm.exited).toEqual({ code: 0, signal: null });
    await expect.poll(() => liveQemuCount()).toBe(0);
    expect(fs.existsSync(vm.dir)).toBe(false);
  });

  it('killAllQemu ends every started QEMU', async () => {
    const vms = await Promise.all([1, 2, 3].map(() => startQemu({ binary: FAKE_QEMU })));
    expect(liveQemuCount()).toBe(3);
    await killAllQemu();
    for (const vm of vms) expect(vm.child.signalCode).toBe('SIGTERM');
  });
});
