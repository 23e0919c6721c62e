/**
 * Reading a capture file for the decoder, fast: read buffers recycled
 * through a pool, and the next read in flight (on libuv's thread pool) while
 * the caller decodes the current chunk.
 *
 * A fresh buffer per read (what fs.createReadStream does) costs a page fault
 * per 4 KiB the first time it is written; on some VMs that alone is slower
 * than zstd. So each chunk is a view of a *lent* buffer (buffers/lease.ts):
 * the reader holds it until the caller asks for the next chunk, and a caller
 * that keeps a view longer (a frame whose payload waits for a worker) holds
 * it with holdBytes(). A buffer is read into again only once nothing holds
 * it; while some are held, the pool makes more.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { BufferPool, type LentBuffer } from '../buffers/buffer-pool.js';

export interface FileChunksOptions {
  /** Bytes per read (default 1 MiB). */
  chunkSize?: number;
  /** Close a FileHandle passed in when done (default: only handles opened here are closed). */
  close?: boolean;
}

export const DEFAULT_FILE_CHUNK = 1024 * 1024;

/** Read buffers kept for reuse per file (two are in use when nothing else holds any: the current chunk and the read ahead). */
const KEPT_BUFFERS = 8;

/**
 * The bytes of `file` (a path, or an open handle read from its current
 * position), in chunks the reader holds until the next one is asked for.
 */
export async function* fileChunks(file: string | FileHandle, options: FileChunksOptions = {}): AsyncGenerator<Uint8Array> {
  const size = options.chunkSize ?? DEFAULT_FILE_CHUNK;
  if (!(Number.isSafeInteger(size) && size > 0)) throw new RangeError(`chunkSize must be a positive integer, got ${size}`);
  const handle = typeof file === 'string' ? await open(file, 'r') : file;
  const closeAtEnd = typeof file === 'string' || options.close === true;
  const pool = new BufferPool(size, KEPT_BUFFERS);
  const read = async (lent: LentBuffer) => ({ lent, n: (await handle.read(new Uint8Array(lent.buffer), 0, size, null)).bytesRead });
  let next: Promise<{ lent: LentBuffer; n: number }> | undefined;
  let current: LentBuffer | undefined;
  try {
    next = read(pool.lend());
    next.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
    for (;;) {
      const { lent, n } = await next;
      next = undefined;
      current = lent;
      if (n === 0) return;
      // Read ahead into a buffer nobody holds while the caller works on this one.
      next = read(pool.lend());
      next.catch(() => undefined);
      yield new Uint8Array(lent.buffer, 0, n);
      // The caller asked for the next chunk: what it still needs of this one, it holds.
      current = undefined;
      lent.lease.release();
    }
  } finally {
    current?.lease.release();
    const ahead = await next?.catch(() => undefined); // never close under a read in flight
    ahead?.lent.lease.release();
    if (closeAtEnd) await handle.close();
  }
}
