/** Shared by the live CLI tests: QEMU 7.2 required, cleanup hooks, temp dirs, memory comparison. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach } from 'vitest';
import {
  DEV_BLOB,
  HLT_BIOS,
  hmp,
  killAllQemu,
  liveQemuCount,
  pmemsave,
  qemuVersion,
  requireQemuVersion,
  waitForMigration,
  type MultifdCompression,
  type QemuVm,
} from '@multifd/qemu-harness';
import { killAllCli, liveCliCount, takeStarted } from './cli-process.js';
import { writeNamedPages } from '../test/named-pages.js';

export { DEV_BLOB, HLT_BIOS };

export const PAGE = 4096;
export const MIB = 1024 * 1024;
/** Every guest here has 64 MiB (the harness's default). */
export const GUEST_BYTES = 64 * MIB;
/** Where the tests load blobs/dev-1.bin. */
export const BLOB_ADDR = 0x100000;
/** Guest-physical 0xa0000..0xfffff is the VGA hole and ROM aliases, not pc.ram: pmemsave there does not read pc.ram. */
export const HOLE_START = 0xa0000;
export const HOLE_END = 0x100000;

export const QEMU = await qemuVersion();

/**
 * Fail (never skip) every test of the file, each on its own, when the system
 * QEMU is missing or is not 7.2: these tests check QEMU 7.2's behaviour, and
 * CI installs it first.
 */
export function requireQemu72(): void {
  beforeEach(() => void requireQemuVersion(QEMU, { major: 7, minor: 2 }));
}

/** The CLI's name for each QEMU multifd-compression. */
export const METHOD: Record<MultifdCompression, string> = { none: 'nocomp', zlib: 'zlib', zstd: 'zstd' };

const tempDirs: string[] = [];

export function tempDir(prefix = 'multifd-qemu-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/**
 * After every test: kill the CLI children and QEMUs it started (even when it
 * failed or timed out), print the children's output if it failed, and delete
 * its temp dirs.
 */
export function cleanupAfterEach(): void {
  afterEach(async (context) => {
    await Promise.all([killAllCli(), killAllQemu()]);
    const processes = takeStarted();
    if (context.task.result?.state === 'fail' && processes.length > 0) {
      console.error(`[${context.task.name}] failed; the multifd processes it started:\n${processes.join('\n')}`);
    }
    for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    if (liveQemuCount() !== 0) throw new Error(`${liveQemuCount()} QEMU still running after killAllQemu`);
    if (liveCliCount() !== 0) throw new Error(`${liveCliCount()} multifd processes still running after killAllCli`);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([killAllCli(), killAllQemu()]);
  });
}

/** Is guest-physical `addr` inside the non-pc.ram window? */
export function inHole(addr: number): boolean {
  return addr >= HOLE_START && addr < HOLE_END;
}

/**
 * The page offsets where a received pc.ram differs from a guest-physical dump
 * of 0..size (guest-physical = pc.ram offset below 0xa0000 and from 0x100000),
 * the window 0xa0000..0xfffff excluded.
 */
export function pcRamDifferences(pcRam: Uint8Array, guestPhysical: Uint8Array): number[] {
  if (pcRam.length !== guestPhysical.length) throw new Error(`pc.ram is ${pcRam.length} bytes, the guest dump ${guestPhysical.length}`);
  const a = Buffer.from(pcRam.buffer, pcRam.byteOffset, pcRam.byteLength);
  const b = Buffer.from(guestPhysical.buffer, guestPhysical.byteOffset, guestPhysical.byteLength);
  const differ: number[] = [];
  for (let at = 0; at < a.length; at += PAGE) {
    if (inHole(at)) continue;
    if (a.compare(b, at, at + PAGE, at, at + PAGE) !== 0) differ.push(at);
  }
  return differ;
}

/** A readable summary of differing pages for a failure message. */
export function describePages(pages: readonly number[], limit = 8): string {
  if (pages.length === 0) return 'none';
  const shown = pages.slice(0, limit).map((p) => `0x${p.toString(16)}`);
  return `${pages.length} page(s): ${shown.join(', ')}${pages.length > limit ? ', ...' : ''}`;
}

export function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

export interface RamBlockInfo {
  name: string;
  usedLength: number;
}

/** `info ramblock` over HMP: every RAMBlock's name and used length. */
export async function ramBlocks(vm: QemuVm): Promise<RamBlockInfo[]> {
  const text = await hmp(vm, 'info ramblock');
  const blocks: RamBlockInfo[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(\S+)\s+\d+ KiB\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+\s*$/i.exec(line);
    if (m) blocks.push({ name: m[1]!, usedLength: Number(m[2]) });
  }
  if (!blocks.some((b) => b.name === 'pc.ram')) throw new Error(`no pc.ram in 'info ramblock': ${text}`);
  return blocks;
}

/** The file `receive`/`decode` write for a RAMBlock: '/' replaced by '_', then '.bin'. */
export function blockFile(dir: string, name: string): string {
  return path.join(dir, `${name.replaceAll('/', '_')}.bin`);
}

export function readJson<T = any>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** The part of `receive`'s/`decode`'s index.json the tests look at. */
export interface ReceiveIndex {
  method: string | null;
  methodValue: number | null;
  channels: { id: number; packets: number; syncs: number; pages: number; zeroPages: number; bytes: number }[];
  epochs: number;
  syncMode: string;
  mainStream: { bytes: number; machine: string | null; zeroRecords: number; pageRecords: number } | null;
  ramblocks: { name: string; file: string | null; usedLength: number; pages: number; missing: number | null }[];
  pages: number;
  zeroPages: number;
  warnings: string[];
  mainStreamFile?: string;
}

/** Wait for a destination QEMU to reach `completed` (it must print nothing), then dump its memory like `dumpGuest`. */
export async function completedDestination(destination: QemuVm, dir: string): Promise<Buffer> {
  const info = await waitForMigration(destination, { timeoutMs: 30_000 });
  if (info.status !== 'completed') throw new Error(`destination: ${JSON.stringify(info)}`);
  if (destination.stderr() !== '') throw new Error(`destination printed: ${destination.stderr()}`);
  return dumpGuest(destination, dir, 'destination');
}

/** A pmemsave of guest-physical 0..64 MiB into `dir`, read back. */
export async function dumpGuest(vm: QemuVm, dir: string, name: string): Promise<Buffer> {
  const file = path.join(dir, `${name}.bin`);
  await pmemsave(vm, 0, GUEST_BYTES, file);
  return fs.readFileSync(file);
}

/** A guest-RAM blob of `mib` MiB whose pages name themselves (see ../test/named-pages.ts), written into `dir`. */
export function namedPagesBlob(dir: string, mib: number): string {
  return writeNamedPages(path.join(dir, `named-${mib}m.bin`), mib);
}
