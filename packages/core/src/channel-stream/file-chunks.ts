/**
 * Reading a capture file for the decoder, fast: two read buffers, reused,
 * and the next read in flight (on libuv's thread pool) while the caller
 * decodes the current chunk.
 *
 * A fresh buffer per read (what fs.createReadStream does) costs a page fault
 * per 4 KiB the first time it is written; on some VMs that alone is slower
 * than zstd. Reusing two buffers means each chunk is valid only until the
 * iterator is advanced again. That suits consumers that finish with a chunk
 * before they pull the next one, such as assembleMigration with its default
 * window of 1 or an applier that copies payloads (its framers and the main
 * stream parser copy whatever they keep); anything else must copy.
 */
import { open, type FileHandle } from 'node:fs/promises';

export interface FileChunksOptions {
  /** Bytes per read (default 1 MiB). */
  chunkSize?: number;
  /** Close a FileHandle passed in when done (default: only handles opened here are closed). */
  close?: boolean;
}

export const DEFAULT_FILE_CHUNK = 1024 * 1024;

/**
 * The bytes of `file` (a path, or an open handle read from its current
 * position), in chunks that are valid until the iterator is advanced.
 */
export async function* fileChunks(file: string | FileHandle, options: FileChunksOptions = {}): AsyncGenerator<Uint8Array> {
  const size = options.chunkSize ?? DEFAULT_FILE_CHUNK;
  if (!(Number.isSafeInteger(size) && size > 0)) throw new RangeError(`chunkSize must be a positive integer, got ${size}`);
  const handle = typeof file === 'string' ? await open(file, 'r') : file;
  const closeAtEnd = typeof file === 'string' || options.close === true;
  const buffers = [new Uint8Array(size), new Uint8Array(size)];
  const read = (buf: Uint8Array) => handle.read(buf, 0, size, null).then((r) => r.bytesRead);
  let next: Promise<number> | undefined;
  try {
    next = read(buffers[0]!);
    next.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
    for (let i = 0; ; i ^= 1) {
      const n = await next;
      next = undefined;
      if (n === 0) return;
      // The caller asked for this chunk, so it is done with the other buffer: refill it now.
      next = read(buffers[i ^ 1]!);
      next.catch(() => undefined);
      yield buffers[i]!.subarray(0, n);
    }
  } finally {
    await next?.catch(() => undefined); // never close under a read in flight
    if (closeAtEnd) await handle.close();
  }
}
