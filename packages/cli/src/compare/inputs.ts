/**
 * What `compare` compresses: RAMBlocks in shared memory, from
 *
 * - raw memory images (any file a multiple of 4096 bytes: a RAMBlock written
 *   by decode or receive, a pmemsave or dump-guest-memory raw dump, a core
 *   file), one RAMBlock each; `NAME=FILE` names the block;
 * - directories written by decode or receive (their index.json lists the
 *   RAMBlock files);
 * - the connection streams of one captured migration (files starting with
 *   QEVM or 11 22 33 44), decoded first by the transport's channel workers;
 * - nothing: the bundled sample.
 *
 * RAMBlock names are made unique ("pc.ram", "pc.ram#2") when two inputs
 * bring the same one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MULTIFD_MAGIC, MultifdError, PAGE_SIZE, QEVM_MAGIC, isZeroRange, type RAMBlock } from '@multifd/core';
import { INDEX_FILE } from '../commands/decode.js';
import type { DecodeIndex } from '../decode-index.js';
import { parseImageArg, ramImageBlock } from '../ram-images.js';
import { openMigrationFiles } from '../stream-files.js';
import { decodeWithWorkers } from '@multifd/transport';

export interface CompareInput {
  blocks: RAMBlock[];
  /** Where the blocks came from, one entry per source ("sample 256 MiB", "dump.bin", ...). */
  sources: string[];
}

export interface LoadInputsOptions {
  cwd: string;
  /** Codec modules for decoding captured migrations (plugins included). */
  codecModules: readonly string[];
  codecOptions?: Record<string, unknown>;
}

type Source = { kind: 'image'; name: string; file: string } | { kind: 'dir'; dir: string } | { kind: 'stream'; file: string };

/** Load INPUTs (at least one) into RAMBlocks. */
export async function loadInputs(args: readonly string[], o: LoadInputsOptions): Promise<CompareInput> {
  const classified = args.map((arg) => classify(arg, o.cwd));
  const blocks: RAMBlock[] = [];
  const sources: string[] = [];
  const add = (name: string, memory: Uint8Array, usedLength = memory.length) => {
    let unique = name;
    for (let n = 2; blocks.some((b) => b.name === unique); n++) unique = `${name}#${n}`;
    blocks.push({ name: unique, usedLength, memory });
  };
  for (const s of classified) {
    if (s.kind === 'image') {
      add(s.name, loadRamImage(s.name, s.file, o.cwd).memory);
      sources.push(s.file);
    } else if (s.kind === 'dir') {
      for (const b of readDecodedDir(s.dir, o.cwd)) add(b.name, b.memory);
      sources.push(s.dir);
    }
  }
  const streams = classified.flatMap((s) => (s.kind === 'stream' ? [s.file] : []));
  if (streams.length > 0) {
    for (const b of await decodeCapture(streams, o)) add(b.name, b.memory, b.usedLength);
    sources.push(`migration (${streams.join(', ')})`);
  }
  return { blocks, sources };
}

function classify(arg: string, cwd: string): Source {
  const named = parseImageArg(arg);
  if (named.file !== arg) return { kind: 'image', ...named };
  const full = path.resolve(cwd, arg);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(full);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw code === 'ENOENT' ? new MultifdError('ERR_MULTIFD_IO', 'no such file or directory', { file: arg }) : MultifdError.wrap(e, 'ERR_MULTIFD_IO', { file: arg });
  }
  if (stat.isDirectory()) return { kind: 'dir', dir: arg };
  const magic = firstWord(full, arg);
  if (magic === QEVM_MAGIC || magic === MULTIFD_MAGIC) return { kind: 'stream', file: arg };
  return { kind: 'image', ...named };
}

/** The first 4 bytes as a big-endian number (undefined for a shorter file). */
function firstWord(full: string, label: string): number | undefined {
  const buf = Buffer.alloc(4);
  let fd: number | undefined;
  try {
    fd = fs.openSync(full, 'r');
    return fs.readSync(fd, buf, 0, 4, 0) === 4 ? buf.readUInt32BE(0) : undefined;
  } catch (e) {
    throw MultifdError.wrap(e, 'ERR_MULTIFD_IO', { file: label });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The RAMBlocks of a directory written by decode or receive, as its index.json lists them. */
function readDecodedDir(dir: string, cwd: string): { name: string; memory: Uint8Array }[] {
  const indexFile = path.join(dir, INDEX_FILE);
  let index: Pick<DecodeIndex, 'ramblocks'>;
  try {
    index = JSON.parse(fs.readFileSync(path.resolve(cwd, indexFile), 'utf8')) as DecodeIndex;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new MultifdError('ERR_MULTIFD_IO', `not a directory written by decode or receive: no ${INDEX_FILE}`, { file: dir });
    throw MultifdError.wrap(e, 'ERR_MULTIFD_IO', { file: indexFile });
  }
  const blocks = Array.isArray(index?.ramblocks) ? index.ramblocks.filter((b) => typeof b?.name === 'string' && typeof b.file === 'string') : [];
  if (blocks.length === 0) throw new MultifdError('ERR_MULTIFD_BAD_OPTION', `${INDEX_FILE} lists no RAMBlock file`, { file: indexFile });
  return blocks.map((b) => ({ name: b.name, memory: loadRamImage(b.name, path.join(dir, b.file!), cwd).memory }));
}

/** Decode one captured migration (its streams in any order) into shared memory. */
async function decodeCapture(labels: readonly string[], o: LoadInputsOptions): Promise<RAMBlock[]> {
  const files = await openMigrationFiles(labels, o.cwd);
  try {
    const { report, sink } = await decodeWithWorkers(
      { ...(files.main ? { main: files.main.input } : {}), channels: files.channels.map((f) => f.input) },
      { codecModules: o.codecModules, ...(o.codecOptions ? { codecOptions: o.codecOptions } : {}) },
    );
    const blocks: RAMBlock[] = [];
    for (const b of report.ramblocks) {
      const memory = 'block' in sink ? sink.block(b.name) : undefined;
      if (memory && b.usedLength > 0) blocks.push({ name: b.name, usedLength: b.usedLength, memory: memory.subarray(0, b.usedLength) });
    }
    if (blocks.length === 0) throw new MultifdError('ERR_MULTIFD_INCOMPLETE', 'the captured migration holds no RAM', { file: labels[0]! });
    return blocks;
  } finally {
    await Promise.all([files.main, ...files.channels].map((f) => f?.close()));
  }
}

/**
 * Read the memory once more after loading it. On the VMs this runs on, the
 * first read of freshly written memory costs about as much as writing it
 * (~7 us per page: the host backs the pages lazily), which would otherwise
 * land in the middle of the migration's zero-page scan. QEMU's
 * -mem-prealloc does the same for guest RAM.
 */
function warm(memory: Uint8Array): void {
  isZeroRange(memory, 0, memory.length);
  const view = Buffer.from(memory.buffer, memory.byteOffset, memory.byteLength);
  let sum = 0;
  for (let at = 0; at < view.length; at += PAGE_SIZE) sum += view[at]!;
  if (sum < 0) throw new Error('unreachable');
}

/** Read one image (a positive multiple of 4096 bytes) into SharedArrayBuffer-backed memory, as RAMBlock `name`. */
function loadRamImage(name: string, file: string, cwd: string): { name: string; memory: Uint8Array } {
  const full = ramImageBlock(name, file, cwd).file;
  let fd: number;
  try {
    fd = fs.openSync(full, 'r');
  } catch (e) {
    throw MultifdError.wrap(e, 'ERR_MULTIFD_IO', { file });
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0 || size % PAGE_SIZE !== 0) {
      throw new MultifdError('ERR_MULTIFD_BAD_OPTION', `${file}: ${size} bytes is not a positive multiple of 4096`, { file });
    }
    const memory = new Uint8Array(new SharedArrayBuffer(size));
    for (let at = 0; at < size; ) {
      const n = fs.readSync(fd, memory, at, Math.min(size - at, 16 << 20), at);
      if (n === 0) throw new MultifdError('ERR_MULTIFD_TRUNCATED', `${file} shrank while reading`, { file, byteOffset: at });
      at += n;
    }
    warm(memory);
    return { name, memory };
  } finally {
    fs.closeSync(fd);
  }
}
