import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEV_BLOB, hmp, pmemsave, readGuestMemory, startQemu } from '../src/index.js';
import { QEMU, firstDifference, killQemuAfterEach, requireQemu } from './helpers.js';

requireQemu();
killQemuAfterEach();

describe(`guest memory on ${QEMU?.text}`, () => {
  it('a paused VM holds the loaded blob at 0x100000 (pmemsave 0x100000..0x500000)', async () => {
    const blob = fs.readFileSync(DEV_BLOB);
    expect(blob.length).toBe(0x400000);
    const vm = await startQemu({ memoryMiB: 64, loaders: [{ file: DEV_BLOB, addr: 0x100000 }] });
    expect(await vm.execute('query-status')).toMatchObject({ status: 'prelaunch', running: false });

    const file = `${vm.dir}/blob-dump.bin`;
    await pmemsave(vm, 0x100000, 0x400000, file);
    expect(firstDifference(fs.readFileSync(file), blob)).toBeUndefined();
    expect(firstDifference(await readGuestMemory(vm, 0x100000, 0x400000), blob)).toBeUndefined();
    expect(vm.stderr()).toBe('');
  }, 60_000);

  it("'info ramblock' over HMP lists pc.ram with the guest's size", async () => {
    const vm = await startQemu({ memoryMiB: 64 });
    const text = await hmp(vm, 'info ramblock');
    expect(text).toMatch(/pc\.ram\s+4 KiB\s+0x0+\s+0x0+4000000\s+0x0+4000000/);
    expect(text).toContain('pc.bios');
  }, 60_000);

  it('QEMU errors come back as QmpCommandError with its desc', async () => {
    const vm = await startQemu();
    await expect(vm.execute('no-such-command')).rejects.toMatchObject({
      code: 'ERR_QEMU_QMP_COMMAND',
      errorClass: 'CommandNotFound',
      desc: 'The command no-such-command has not been found',
    });
  }, 60_000);
});
