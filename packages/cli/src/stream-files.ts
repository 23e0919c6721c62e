/**
 * Opening captured connection streams: each file is told apart by its first
 * four bytes (core's detectStreamKind) and read as an AsyncIterable of
 * chunks. Files are read sequentially, so pipes and FIFOs work too.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { MultifdError, detectStreamKind, fileChunks, type StreamInput, type StreamKind } from '@multifd/core';
import { usageError } from './args.js';

const CHUNK = 1024 * 1024;
const MAGIC_BYTES = 4;

export interface StreamFile {
  /** The path as the user gave it (used in messages and in index.json). */
  label: string;
  kind: StreamKind;
  /** Bytes, for regular files; 0 when unknown (a pipe). */
  size: number;
  /** The stream's bytes; iterate once (it closes the file at the end). */
  input: StreamInput;
  /** Close the file (also when its stream was never read); safe to call twice. */
  close(): Promise<void>;
}

export interface MigrationFiles {
  main?: StreamFile;
  channels: StreamFile[];
  /** Sum of the known sizes. */
  totalBytes: number;
}

function ioError(e: unknown, file: string): MultifdError {
  const err = e as NodeJS.ErrnoException;
  const text = err?.code === 'ENOENT' ? 'no such file' : err?.code === 'EISDIR' ? 'is a directory' : undefined;
  return text ? new MultifdError('ERR_MULTIFD_IO', text, { file }, { cause: e }) : MultifdError.wrap(e, 'ERR_MULTIFD_IO', { file });
}

/** Open one stream file and read its first bytes to tell its kind. */
export async function openStreamFile(label: string, cwd: string): Promise<StreamFile & { identity: string }> {
  let handle: FileHandle;
  try {
    handle = await open(resolve(cwd, label), 'r');
  } catch (e) {
    throw ioError(e, label);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new MultifdError('ERR_MULTIFD_IO', 'is a directory', { file: label });
    const first = await readSome(handle, MAGIC_BYTES);
    const kind = detectStreamKind(first, label);
    let closed: Promise<void> | undefined;
    const close = () => (closed ??= handle.close().catch(() => undefined));
    return {
      label,
      kind,
      size: stat.isFile() ? stat.size : 0,
      identity: `${stat.dev}:${stat.ino}`,
      input: { label, source: chunks(handle, first, label, close) },
      close,
    };
  } catch (e) {
    await handle.close().catch(() => undefined);
    throw MultifdError.is(e) ? e : ioError(e, label);
  }
}

/**
 * Open the files of one migration: at most one main stream, any number of
 * channels, in any order. On error every file opened so far is closed.
 */
export async function openMigrationFiles(labels: readonly string[], cwd: string): Promise<MigrationFiles> {
  const opened: Awaited<ReturnType<typeof openStreamFile>>[] = [];
  try {
    for (const label of labels) {
      const file = await openStreamFile(label, cwd);
      opened.push(file);
      const twin = opened.find((f) => f !== file && f.identity === file.identity);
      if (twin) throw usageError(`${label} and ${twin.label} are the same file`);
    }
    const mains = opened.filter((f) => f.kind === 'main');
    if (mains.length > 1) {
      throw usageError(`${mains.length} main streams (${mains.map((f) => f.label).join(', ')}): give the files of one migration`);
    }
    return {
      ...(mains[0] ? { main: mains[0] } : {}),
      channels: opened.filter((f) => f.kind === 'channel'),
      totalBytes: opened.reduce((sum, f) => sum + f.size, 0),
    };
  } catch (e) {
    await Promise.all(opened.map((f) => f.close()));
    throw e;
  }
}

async function readSome(handle: FileHandle, n: number): Promise<Uint8Array> {
  const buf = new Uint8Array(n);
  let filled = 0;
  while (filled < n) {
    const { bytesRead } = await handle.read(buf, filled, n - filled, null);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buf.subarray(0, filled);
}

/**
 * The file's bytes after `first`: core's fileChunks, recycled 1 MiB read
 * buffers with the next read in flight (a fresh buffer per read costs a page
 * fault per 4 KiB on some VMs). A buffer is read into again only when
 * nothing holds it (the assembler's frames hold theirs; core's
 * buffers/lease.ts).
 */
async function* chunks(handle: FileHandle, first: Uint8Array, label: string, close: () => Promise<void>): AsyncGenerator<Uint8Array> {
  try {
    if (first.length > 0) yield first;
    try {
      yield* fileChunks(handle, { chunkSize: CHUNK });
    } catch (e) {
      throw MultifdError.is(e) ? e : ioError(e, label);
    }
  } finally {
    await close();
  }
}
