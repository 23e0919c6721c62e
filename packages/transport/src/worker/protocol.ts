/**
 * Messages between the main thread and channel workers (thread-stream's
 * pattern): every message has a `code`; a receiver throws on a code it does
 * not know, so a protocol mismatch fails loudly instead of hanging.
 *
 * Main -> send worker:  PACKET (pages to encode and send), SYNC, CLOSE, ABORT
 * Main -> recv worker:  PACKET (a framed packet to decode into RAM), CLOSE, ABORT
 * Worker -> main:       READY, DONE (job finished, with bytes), CLOSED, ERROR
 */
import type { BlockMemory, ErrorLocation, MultifdErrorCode, ScanPages } from '@multifd/core';
import type { SenderBlock } from '../memory.js';

/** What a SCAN job found and sent. */
export interface ScanReply {
  zeros: number[];
  normalPages: number;
  zeroPagesInPackets: number;
  packets: number;
}

/** A job's sequence number: acks name it. */
export type Seq = number;

export type SendJob =
  /** Open the channel's connection and send its initial packet (after READY: codecs are loaded by then). */
  | { code: 'CONNECT'; seq: Seq }
  /** Split these pages of block `block` into zero and normal pages, send the normal ones (DONE carries the zero ones). */
  | { code: 'SCAN'; seq: Seq; block: number; pages: ScanPages; zeroInPackets?: boolean }
  | { code: 'PACKET'; seq: Seq; num: bigint; block: number; offsets: number[]; zeroOffsets?: number[]; sync?: boolean }
  /** Pages a relay decoded into staging slot `slot` (see SendWorkerData.staging), sent as block `block` at `offsets`. */
  | { code: 'PAGES'; seq: Seq; num: bigint; block: string; offsets: number[]; slot: number; zeroOffsets?: number[] }
  | { code: 'SYNC'; seq: Seq; num: bigint }
  | { code: 'CLOSE' }
  | { code: 'ABORT' };

/** Where a receiving worker writes pages: shared memory, or files it opens itself. */
export type RecvTarget =
  | { kind: 'memory'; blocks: { name: string; memory: BlockMemory }[] }
  /** A relay: pages are decoded into slots of 128 pages of shared staging memory (PACKET's `slot`). */
  | { kind: 'staging'; memory: Uint8Array }
  | { kind: 'files'; dir: string; blocks: { name: string; file: string; usedLength: number }[] }
  /** Check each page against the migration's source instead of storing it (compare's round trip; see VerifySink). */
  | { kind: 'verify'; blocks: SenderBlock[] };

export type RecvJob =
  /** The migration's RAMBlocks are known: open them (before any PACKET). */
  | { code: 'BLOCKS'; seq: Seq; target: RecvTarget }
  | {
      code: 'PACKET';
      seq: Seq;
      /** Packet index in its channel, for errors. */
      packet: number;
      method: number;
      block: string;
      usedLength: number;
      offsets: number[];
      flags: number;
      normalPages: number;
      nextPacketSize: number;
      payload: Uint8Array;
      /** Staging slot to decode into (relay target). */
      slot?: number;
    }
  | { code: 'CLOSE' }
  | { code: 'ABORT' };

export type WorkerReply =
  | { code: 'READY' }
  /** A job finished; `buffer` hands a transferred payload buffer back for reuse. */
  | { code: 'DONE'; seq: Seq; wireBytes: number; pages: number; buffer?: ArrayBuffer; scan?: ScanReply }
  | { code: 'CLOSED' }
  | { code: 'ERROR'; error: { code: MultifdErrorCode; message: string; packet?: number; location?: ErrorLocation } };

export function unknownMessage(where: string, message: unknown): Error {
  const code = typeof message === 'object' && message !== null ? (message as { code?: unknown }).code : undefined;
  return new Error(`${where}: unknown message code ${JSON.stringify(code)}`);
}
