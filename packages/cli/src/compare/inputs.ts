/**
 * What `compare` compresses: RAMBlocks that the channel workers read from
 * their files as they go (any size, bounded memory), from
 *
 * - raw memory images (any file a multiple of 4096 bytes: a RAMBlock written
 *   by decode or receive, a pmemsave or dump-guest-memory raw dump, a core
 *   file), one RAMBlock each; `NAME=FILE` names the block;
 * - directories written by decode or receive (their index.json lists the
 *   RAMBlock files);
 * - the connection streams of one captured migration (files starting with
 *   QEVM or 11 22 33 44), decoded first by the transport's channel workers
 *   into sparse files in compare's temp folder;
 * - nothing: the bundled sample, written to a file in the temp folder.
 *
 * RAMBlock names are made unique ("pc.ram", "pc.ram#2") when two inputs
 * bring the same one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileSink, MULTIFD_MAGIC, MultifdError, QEVM_MAGIC } from '@multifd/core';
import { INDEX_FILE } from '../commands/decode.js';
import type { DecodeIndex } from '../decode-index.js';
import { parseImageArg, ramImageBlock } from '../ram-images.js';
import { openMigrationFiles } from '../stream-files.js';
import { decodeWithWorkers, type FileBlockInput } from '@multifd/transport';

export interface CompareInput {
  blocks: FileBlockInput[];
  /** Where the blocks came from, one entry per source ("sample 256 MiB", "dump.bin", ...). */
  sources: string[];
}

export interface LoadInputsOptions {
  cwd: string;
  /** compare's temp folder: a captured migration is decoded into files here. */
  work: string;
  /** Codec modules for decoding captured migrations (plugins included). */
  codecModules: readonly string[];
  codecOptions?: Record<string, unknown>;
  /** Progress while a captured migration is decoded: bytes of its streams read so far, of `total`. */
  onDecodeProgress?: (bytes: number, total: number) => void;
}

type Source = { kind: 'image'; name: string; file: string } | { kind: 'dir'; dir: string } | { kind: 'stream'; file: string };

/** INPUTs (at least one) as file-backed RAMBlocks. */
export async function loadInputs(args: readonly string[], o: LoadInputsOptions): Promise<CompareInput> {
  const classified = args.map((arg) => classify(arg, o.cwd));
  const blocks: FileBlockInput[] = [];
  const sources: string[] = [];
  const add = (b: FileBlockInput) => {
    let unique = b.name;
    for (let n = 2; blocks.some((x) => x.name === unique); n++) unique = `${b.name}#${n}`;
    blocks.push({ ...b, name: unique });
  };
  for (const s of classified) {
    if (s.kind === 'image') {
      add(ramImageBlock(s.name, s.file, o.cwd));
      sources.push(s.file);
    } else if (s.kind === 'dir') {
      for (const b of readDecodedDir(s.dir, o.cwd)) add(b);
      sources.push(s.dir);
    }
  }
  const streams = classified.flatMap((s) => (s.kind === 'stream' ? [s.file] : []));
  if (streams.length > 0) {
    for (const b of await decodeCapture(streams, o)) add(b);
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
function readDecodedDir(dir: string, cwd: string): FileBlockInput[] {
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
  return blocks.map((b) => ramImageBlock(b.name, path.join(dir, b.file!), cwd));
}

/** Decode one captured migration (its streams in any order) into sparse files under the temp folder. */
async function decodeCapture(labels: readonly string[], o: LoadInputsOptions): Promise<FileBlockInput[]> {
  const files = await openMigrationFiles(labels, o.cwd);
  const out = path.join(o.work, 'capture');
  try {
    const { report, files: written } = await decodeWithWorkers(
      { ...(files.main ? { main: files.main.input } : {}), channels: files.channels.map((f) => f.input) },
      {
        codecModules: o.codecModules,
        out,
        ...(o.codecOptions ? { codecOptions: o.codecOptions } : {}),
        assemble: { onProgress: (p) => o.onDecodeProgress?.(p.bytes, files.totalBytes) },
      },
    );
    const blocks: FileBlockInput[] = [];
    for (const b of report.ramblocks) {
      const file = written?.get(b.name);
      if (file !== undefined && b.usedLength > 0) blocks.push({ name: b.name, file: path.join(out, file), usedLength: b.usedLength });
    }
    if (blocks.length === 0) throw new MultifdError('ERR_MULTIFD_INCOMPLETE', 'the captured migration holds no RAM', { file: labels[0]! });
    return blocks;
  } finally {
    await Promise.all([files.main, ...files.channels].map((f) => f?.close()));
  }
}
