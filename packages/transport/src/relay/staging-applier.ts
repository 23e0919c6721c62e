/**
 * The relay's applier: a packet's pages are decoded by the incoming
 * channel's worker into a staging slot, then encoded again by whichever
 * outgoing channel is free, straight from the slot. Zero pages listed in a
 * packet (QEMU 10) go out listed the same way.
 */
import { MultifdError, type ApplyJob, type BufferPool, type PacketApplier, type WireProfile } from '@multifd/core';
import { decodeInWorker } from '../receiver/worker-applier.js';
import type { SendChannelPool } from '../sender/channel-pool.js';
import type { StagingArea } from '../staging.js';
import type { RecvJob } from '../worker/protocol.js';
import type { WorkerHandle } from '../worker/worker-handle.js';

export interface StagingApplierOptions {
  /** The incoming channel's worker. */
  worker: WorkerHandle<RecvJob>;
  payloads: BufferPool;
  staging: StagingArea;
  /** The outgoing channels, once connected. */
  out: Promise<SendChannelPool>;
  /** The outgoing wire profile. */
  profile: WireProfile;
}

export function stagingApplier(o: StagingApplierOptions): PacketApplier {
  return {
    // The assembler holds the packet's payload (its frame lease) until this settles, however long the wait for a slot.
    async apply(job: ApplyJob) {
      const slot = await o.staging.acquire();
      try {
        await decodeInWorker(o.worker, o.payloads, job, slot.index);
        const pool = await o.out;
        const { sent } = await pool.pagesFromSlot(job.block.name, job.offsets, slot.index);
        // The outgoing worker reads the slot until the packet is written.
        void sent.finally(() => slot.release()).catch(() => undefined);
      } catch (e) {
        slot.release();
        throw e;
      }
    },
    async applyZero(job) {
      if (o.profile.zeroPages !== 'packet') {
        throw new MultifdError('ERR_MULTIFD_UNSUPPORTED', `zero pages listed in packets (QEMU 10) cannot go out under the ${o.profile.name} profile: use --profile qemu-10`);
      }
      const pool = await o.out;
      await pool.pagesFromSlot(job.block.name, [], 0, job.offsets);
    },
    close() {
      // The workers are closed by the relay.
    },
  };
}
