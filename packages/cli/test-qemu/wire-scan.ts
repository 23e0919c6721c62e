/**
 * An independent reading of a captured QEMU 7.2 multifd migration, written
 * for the tests from the 7.2 sources (migration/ram.c, multifd.c, savevm.c)
 * without @multifd/core: every copy of every page that went over the wire,
 * with the epoch it was sent in. An epoch ends at each RAM EOS record on the
 * main stream and at each SYNC packet on a channel.
 *
 * Main stream: header, CONFIGURATION, then the "ram" section's START, PARTs
 * and END (records until EOS, then a section footer); reading stops after
 * END (device state follows). Channels: a 64-byte initial packet, then
 * 1344-byte packet headers, each followed by its payload when it has pages.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import type * as ZstdBinding from 'zstd-napi/binding.js';

const zstd = createRequire(import.meta.url)('zstd-napi/binding.js') as typeof ZstdBinding;

const PAGE = 4096;
const QEVM = 0x5145564d;
const MULTIFD_MAGIC = 0x11223344;
const SECTION_START = 0x01;
const SECTION_PART = 0x02;
const SECTION_END = 0x03;
const CONFIGURATION = 0x07;
const FOOTER = 0x7e;
const FLAG_ZERO = 0x02;
const FLAG_MEM_SIZE = 0x04;
const FLAG_PAGE = 0x08;
const FLAG_EOS = 0x10;
const FLAG_CONTINUE = 0x20;
const HEADER_SIZE = 320 + 128 * 8;

/** One copy of a page on the wire. */
export interface PageCopy {
  epoch: number;
  /** 'zero': a main-stream ZERO record (`fill` is its byte); 'page': page bytes (main-stream PAGE record or multifd). */
  kind: 'zero' | 'page';
  fill: number;
  bytes: Uint8Array | undefined;
  /** Where it came from, for messages. */
  where: string;
}

export interface WireScan {
  /** EOS records on the main stream = SYNC packets per channel = epochs. */
  epochs: number;
  /** used_length of every RAMBlock, from the MEM_SIZE record. */
  blocks: Map<string, number>;
  /** block -> page offset -> every copy, in stream order per connection. */
  copies: Map<string, Map<number, PageCopy[]>>;
  /** SYNC packets per channel id. */
  syncs: Map<number, number>;
  method: 'nocomp' | 'zlib' | 'zstd' | undefined;
}

class Reader {
  at = 0;
  constructor(
    readonly buf: Buffer,
    readonly name: string,
  ) {}
  need(n: number): void {
    if (this.at + n > this.buf.length) throw new Error(`${this.name}: ends at byte ${this.buf.length}, needed ${n} more at ${this.at}`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.at++]!;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64BE(this.at);
    this.at += 8;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
  idstr(): string {
    return this.bytes(this.u8()).toString('latin1');
  }
}

function addCopy(scan: WireScan, block: string, offset: number, copy: PageCopy): void {
  let pages = scan.copies.get(block);
  if (!pages) scan.copies.set(block, (pages = new Map()));
  const list = pages.get(offset);
  if (list) list.push(copy);
  else pages.set(offset, [copy]);
}

function scanMain(buf: Buffer, name: string, scan: WireScan): number {
  const r = new Reader(buf, name);
  if (r.u32() !== QEVM) throw new Error(`${name}: not a QEMU migration stream`);
  const version = r.u32();
  if (version !== 3) throw new Error(`${name}: stream version ${version}`);
  let ramSection: number | undefined;
  let eos = 0;
  let block: string | undefined;
  for (;;) {
    const type = r.u8();
    if (type === CONFIGURATION) {
      r.bytes(r.u32()); // machine name; 7.2 pc machines send no configuration subsections
      continue;
    }
    if (type !== SECTION_START && type !== SECTION_PART && type !== SECTION_END) {
      throw new Error(`${name}: section type 0x${type.toString(16)} at ${r.at - 1} before the end of RAM`);
    }
    const id = r.u32();
    if (type === SECTION_START) {
      const idstr = r.idstr();
      r.u32(); // instance id
      r.u32(); // version id
      if (idstr !== 'ram') throw new Error(`${name}: section ${idstr}: only "ram" is iterable in these guests`);
      ramSection = id;
    } else if (id !== ramSection) {
      throw new Error(`${name}: section ${id} is not ram (${ramSection})`);
    }
    // RAM records up to EOS (ram_load_precopy).
    for (;;) {
      const word = r.u64();
      const flags = Number(word & 0xfffn);
      const addr = Number(word & ~0xfffn);
      if (flags & FLAG_MEM_SIZE) {
        let total = 0;
        while (total < addr) {
          const blockName = r.idstr();
          const used = Number(r.u64());
          scan.blocks.set(blockName, used);
          total += used;
        }
      }
      if (flags & (FLAG_ZERO | FLAG_PAGE)) {
        if (!(flags & FLAG_CONTINUE)) block = r.idstr();
        if (block === undefined) throw new Error(`${name}: CONTINUE record before any block at ${r.at}`);
        if (flags & FLAG_ZERO) addCopy(scan, block, addr, { epoch: eos, kind: 'zero', fill: r.u8(), bytes: undefined, where: `${name} epoch ${eos}` });
        else addCopy(scan, block, addr, { epoch: eos, kind: 'page', fill: 0, bytes: r.bytes(PAGE), where: `${name} epoch ${eos}` });
      }
      if (flags & ~(FLAG_ZERO | FLAG_PAGE | FLAG_MEM_SIZE | FLAG_EOS | FLAG_CONTINUE)) {
        throw new Error(`${name}: unexpected RAM flags 0x${flags.toString(16)} at ${r.at - 8}`);
      }
      if (flags & FLAG_EOS) break;
    }
    eos++;
    if (r.u8() !== FOOTER || r.u32() !== id) throw new Error(`${name}: no section footer for section ${id} at ${r.at}`);
    if (type === SECTION_END) return eos;
  }
}

interface ChannelPacket {
  epoch: number;
  block: string;
  offsets: number[];
}

function scanChannel(buf: Buffer, name: string, scan: WireScan): void {
  const r = new Reader(buf, name);
  if (r.u32() !== MULTIFD_MAGIC) throw new Error(`${name}: not a multifd channel`);
  r.at = 24;
  const id = r.u8();
  r.at = 64;
  const packets: ChannelPacket[] = [];
  const payloads: Buffer[] = [];
  let syncs = 0;
  let methodBits: number | undefined;
  while (r.at < buf.length) {
    const header = r.bytes(HEADER_SIZE);
    if (header.readUInt32BE(0) !== MULTIFD_MAGIC || header.readUInt32BE(4) !== 1) throw new Error(`${name}: bad packet header at ${r.at - HEADER_SIZE}`);
    const flags = header.readUInt32BE(8);
    const pages = header.readUInt32BE(16);
    const next = header.readUInt32BE(20);
    if (pages > 0) {
      const bits = flags & 0x6;
      if (methodBits !== undefined && bits !== methodBits) throw new Error(`${name}: method bits change from ${methodBits} to ${bits}`);
      methodBits = bits;
      const block = header.subarray(64, 320).toString('latin1').replace(/\0.*$/s, '');
      const offsets = Array.from({ length: pages }, (_, i) => Number(header.readBigUInt64BE(320 + i * 8)));
      packets.push({ epoch: syncs, block, offsets });
      payloads.push(r.bytes(bits === 0 ? pages * PAGE : next));
    }
    if (flags & 1) syncs++;
  }
  scan.syncs.set(id, syncs);
  const method = methodBits === undefined ? undefined : ({ 0: 'nocomp', 2: 'zlib', 4: 'zstd' } as const)[methodBits as 0 | 2 | 4];
  if (methodBits !== undefined && method === undefined) throw new Error(`${name}: method bits ${methodBits}`);
  if (method !== undefined) {
    if (scan.method !== undefined && scan.method !== method) throw new Error(`${name}: ${method}, other channels ${scan.method}`);
    scan.method = method;
  }
  const total = packets.reduce((sum, p) => sum + p.offsets.length * PAGE, 0);
  const data = decompress(method, Buffer.concat(payloads), total, name);
  let at = 0;
  for (const p of packets) {
    for (const offset of p.offsets) {
      addCopy(scan, p.block, offset, { epoch: p.epoch, kind: 'page', fill: 0, bytes: data.subarray(at, at + PAGE), where: `${name} (channel ${id}) epoch ${p.epoch}` });
      at += PAGE;
    }
  }
}

/** One stream per channel for the whole migration: the payloads concatenated decompress to the pages in order. */
function decompress(method: WireScan['method'], input: Buffer, size: number, name: string): Buffer {
  if (method === undefined || method === 'nocomp') return input;
  if (method === 'zlib') return zlib.inflateSync(input, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const out = Buffer.alloc(size);
  const dctx = new zstd.DCtx();
  let src: Uint8Array = input;
  let produced = 0;
  while (src.length > 0) {
    const [, wrote, read] = dctx.decompressStream(out.subarray(produced), src);
    if (wrote === 0 && read === 0) throw new Error(`${name}: zstd stream stuck at ${produced} of ${size} bytes`);
    produced += wrote;
    src = src.subarray(read);
  }
  if (produced !== size) throw new Error(`${name}: zstd gave ${produced} bytes, the headers say ${size}`);
  return out;
}

/** Read the connection streams of one migration (main stream and channels, any order). */
export function scanMigration(files: readonly string[]): WireScan {
  const scan: WireScan = { epochs: 0, blocks: new Map(), copies: new Map(), syncs: new Map(), method: undefined };
  let mains = 0;
  for (const file of files) {
    const buf = fs.readFileSync(file);
    if (buf.length >= 4 && buf.readUInt32BE(0) === QEVM) {
      scan.epochs = scanMain(buf, file, scan);
      mains++;
    } else {
      scanChannel(buf, file, scan);
    }
  }
  if (mains !== 1) throw new Error(`${mains} main streams among ${files.join(', ')}`);
  return scan;
}

/** Does `page` hold what `copy` says? */
export function copyMatches(copy: PageCopy, page: Uint8Array): boolean {
  if (copy.kind === 'page') return Buffer.from(page.buffer, page.byteOffset, page.byteLength).equals(copy.bytes!);
  for (let i = 0; i < page.length; i++) if (page[i] !== copy.fill) return false;
  return true;
}

/** The copies of the last epoch a page was sent in (usually one; several when QEMU sent it twice in that epoch). */
export function lastCopies(copies: readonly PageCopy[]): PageCopy[] {
  const last = Math.max(...copies.map((c) => c.epoch));
  return copies.filter((c) => c.epoch === last);
}
