/** Guest memory dumps and HMP commands over QMP. */
import fs from 'node:fs';
import path from 'node:path';
import type { QmpPeer } from './migration.js';

/** pmemsave writes at disk speed, but give large dumps more than the default command timeout. */
function dumpTimeoutMs(vm: QmpPeer, size: number): number {
  return vm.qmp.commandTimeoutMs + Math.ceil(size / (50 * 1024 * 1024)) * 1000;
}

/** Dump guest-physical memory `[addr, addr + size)` to `file` (written by QEMU, so an absolute path). */
export async function pmemsave(vm: QmpPeer, addr: number, size: number, file: string, options: { timeoutMs?: number } = {}): Promise<void> {
  await vm.qmp.execute('pmemsave', { val: addr, size, filename: path.resolve(file) }, { timeoutMs: options.timeoutMs ?? dumpTimeoutMs(vm, size) });
}

/** Guest-physical memory `[addr, addr + size)`, through a pmemsave into the VM's temp dir. */
export async function readGuestMemory(vm: QmpPeer & { readonly dir: string }, addr: number, size: number): Promise<Buffer> {
  const file = path.join(vm.dir, `pmem-${addr.toString(16)}-${size.toString(16)}-${Date.now()}.bin`);
  try {
    await pmemsave(vm, addr, size, file);
    return await fs.promises.readFile(file);
  } finally {
    await fs.promises.rm(file, { force: true });
  }
}

/** Run an HMP command (e.g. `info ramblock`) and return its text output. */
export function hmp(vm: QmpPeer, commandLine: string, options: { timeoutMs?: number } = {}): Promise<string> {
  return vm.qmp.execute<string>('human-monitor-command', { 'command-line': commandLine }, options);
}
