/**
 * A PacketApplier that runs the codec in the channel's worker thread: the
 * payload is transferred (not copied) when it owns its ArrayBuffer, and the
 * worker decodes straight into the shared RAMBlock or into the block's file.
 */
import { BufferPool, MultifdError, PAGES_PER_PACKET, isLent, maxCompressedPayload, type ApplyJob, type PacketApplier, type PageSink } from '@multifd/core';
import type { RecvJob, RecvTarget } from '../worker/protocol.js';
import type { WorkerHandle } from '../worker/worker-handle.js';

/**
 * `bytes` as a Uint8Array that owns its whole ArrayBuffer, so it can be
 * transferred: as it is when nothing else lives in its buffer, else copied.
 * A lent buffer (a reader's, see core's buffers/lease.ts) is always copied:
 * its lender gets it back. (Not `bytes.slice()`: on a Buffer that is a view,
 * and transferring the shared buffer would detach bytes the framer has not
 * read yet.)
 */
export function owned(bytes: Uint8Array, pool?: BufferPool): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer && !isLent(bytes)) return bytes;
  // A payload the framer assembled in one of the pool's buffers: nothing else lives there.
  if (pool?.holds(bytes)) return bytes;
  const copy = pool ? pool.view(bytes.byteLength) : new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

/** Payload buffers for transfers to channel workers, which send them back when done; `warm` of them made ready now. */
export function payloadPool(warm = 0): BufferPool {
  return new BufferPool(maxCompressedPayload(PAGES_PER_PACKET), 32).warm(warm);
}

/** The PACKET job that has a channel worker decode `job` (into staging slot `slot` for a relay). */
export function recvPacketJob(job: ApplyJob, payload: Uint8Array, slot?: number): Extract<RecvJob, { code: 'PACKET' }> {
  const h = job.header;
  return {
    code: 'PACKET',
    seq: 0,
    packet: job.packet,
    method: job.codec.value,
    block: job.block.name,
    usedLength: job.block.usedLength,
    offsets: job.offsets,
    flags: h.flags,
    normalPages: h.normalPages,
    nextPacketSize: h.nextPacketSize,
    payload,
    ...(slot !== undefined ? { slot } : {}),
  };
}

/** Have `worker` decode `job`; the payload travels without a copy when it can, and its buffer comes back to `pool`. */
export async function decodeInWorker(worker: WorkerHandle<RecvJob>, pool: BufferPool, job: ApplyJob, slot?: number): Promise<void> {
  const payload = owned(job.payload, pool);
  const done = await worker.run(recvPacketJob(job, payload, slot), [payload.buffer as ArrayBuffer]).catch((e: unknown) => {
    throw MultifdError.is(e) ? e : MultifdError.wrap(e, 'ERR_MULTIFD_WORKER');
  });
  if (done.buffer) pool.put(done.buffer);
}

/** The applier of a channel whose worker decodes into `sink`, opened there in the worker (PageSink.workerTarget). */
export function workerApplier(worker: WorkerHandle<RecvJob>, pool: BufferPool, sink: Required<Pick<PageSink, 'workerTarget'>>): PacketApplier {
  return {
    async open(blocks) {
      await worker.run({ code: 'BLOCKS', seq: 0, target: sink.workerTarget(blocks) as RecvTarget });
    },
    apply: (job: ApplyJob) => decodeInWorker(worker, pool, job),
    close() {
      // The worker's codec state is freed when the worker closes.
    },
  };
}
