import { describe, expect, it } from 'vitest';
import { qemuArgs } from '../src/index.js';

describe('qemuArgs', () => {
  it('defaults to a paused 64 MiB pc,accel=tcg VM with QMP', () => {
    expect(qemuArgs({}, '/t/q.sock')).toEqual([
      '-machine', 'pc,accel=tcg', '-m', '64', '-nodefaults', '-display', 'none', '-S', '-qmp', 'unix:/t/q.sock,server=on,wait=off',
    ]);
  });

  it('adds -L, bios, loaders, uuid, -incoming defer and extra args in order', () => {
    const args = qemuArgs(
      {
        dataDir: '/opt/q10/usr/share/qemu',
        machine: 'pc',
        memoryMiB: 2048,
        memPrealloc: true,
        bios: '/f/bios.bin',
        loaders: [{ file: '/f/a,b.bin', addr: 0x8000000 }],
        uuid: '11111111-2222-3333-4444-555555555555',
        incomingDefer: true,
        extraArgs: ['-trace', 'multifd_recv_terminate_threads'],
      },
      '/t/q.sock',
    );
    expect(args).toEqual([
      '-L', '/opt/q10/usr/share/qemu',
      '-machine', 'pc', '-m', '2048', '-mem-prealloc', '-nodefaults', '-display', 'none', '-S',
      '-bios', '/f/bios.bin',
      '-device', 'loader,file=/f/a,,b.bin,addr=0x8000000,force-raw=on',
      '-uuid', '11111111-2222-3333-4444-555555555555',
      '-incoming', 'defer',
      '-qmp', 'unix:/t/q.sock,server=on,wait=off',
      '-trace', 'multifd_recv_terminate_threads',
    ]);
  });
});
