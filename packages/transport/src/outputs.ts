/**
 * Where a stream's bytes go: a TCP (or TLS) connection, a file (the stream
 * exactly as it would be on the wire, as `compare --emit` keeps it), or
 * nowhere (counted only, to measure the encoding pipeline alone). Channel
 * workers and the sender's main stream write through this.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Socket } from 'node:net';
import { MultifdError } from '@multifd/core';
import { makeDirectory } from './dirs.js';
import { connect, endSocket, writeChunks, type Address, type TlsOptions } from './net.js';

/** The file a sender writing its streams to a directory puts the main stream in (and `multifd receive` keeps it in). */
export const MAIN_STREAM_FILE = 'main.bin';

/** The file of channel `id` in such a directory. */
export function channelStreamFile(id: number): string {
  return `ch${id}.bin`;
}

/** Where a sender's streams go when they do not go to a network peer. */
export type LocalOutput = { files: string } | 'discard';

export interface StreamOutput {
  /** Write `chunks` back to back; resolves when they are handed over (the ranges may be reused then). */
  write(chunks: readonly Uint8Array[]): Promise<void>;
  /** Finish the stream (flush, FIN). */
  end(): Promise<void>;
  /** Drop it now. */
  destroy(): void;
  /** The socket, for network outputs. */
  readonly socket?: Socket;
}

export function socketOutput(socket: Socket): StreamOutput {
  return {
    socket,
    write: (chunks) => writeChunks(socket, chunks),
    end: () => endSocket(socket),
    destroy: () => socket.destroy(),
  };
}

/** A file written sequentially (synchronous writes: this runs in a channel worker). */
export function fileOutput(file: string): StreamOutput {
  let fd: number | undefined;
  try {
    makeDirectory(path.dirname(file));
    fd = fs.openSync(file, 'w');
  } catch (e) {
    throw MultifdError.wrap(e, 'ERR_MULTIFD_IO', { file });
  }
  const close = () => {
    if (fd !== undefined) fs.closeSync(fd);
    fd = undefined;
  };
  return {
    async write(chunks) {
      if (fd === undefined) throw new MultifdError('ERR_MULTIFD_STATE', 'write after end', { file });
      try {
        let pending = chunks.filter((c) => c.length > 0);
        while (pending.length > 0) {
          let n = fs.writevSync(fd, pending as Uint8Array[]);
          // writev may write less than asked: continue where it stopped.
          while (n > 0 && pending.length > 0) {
            const first = pending[0]!;
            if (n >= first.length) {
              n -= first.length;
              pending = pending.slice(1);
            } else {
              pending = [first.subarray(n), ...pending.slice(1)];
              n = 0;
            }
          }
        }
      } catch (e) {
        throw MultifdError.wrap(e, 'ERR_MULTIFD_IO', { file });
      }
    },
    async end() {
      close();
    },
    destroy: close,
  };
}

/** Bytes counted and dropped. */
export function discardOutput(): StreamOutput & { bytes: number } {
  const out = {
    bytes: 0,
    async write(chunks: readonly Uint8Array[]) {
      for (const c of chunks) out.bytes += c.length;
    },
    async end() {},
    destroy() {},
  };
  return out;
}

/** Open a stream's output: a connection to `address`, or a local one. */
export async function openOutput(
  target: { address: Address; tls?: TlsOptions; timeoutMs: number; label: string } | { local: LocalOutput; file: string },
): Promise<StreamOutput> {
  if ('local' in target) return target.local === 'discard' ? discardOutput() : fileOutput(path.join(target.local.files, target.file));
  const socket = await connect(target.address, { timeoutMs: target.timeoutMs, label: target.label, ...(target.tls ? { tls: target.tls } : {}) });
  return socketOutput(socket);
}
