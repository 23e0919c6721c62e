/**
 * A receiving channel's worker thread (QEMU's multifd_recv_thread): the main
 * thread frames the channel's packets and transfers each payload here; this
 * thread runs the codec's recvPages with the channel's decompression state,
 * straight into the RAMBlock (shared memory) or into a file, and acks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FileSink, MemorySink, MultifdError, type AnyMultiFDMethods, type CodecRegistry, type PageSink } from '@multifd/core';
import { loadCodecs } from '../codecs.js';
import { slotViews } from '../staging.js';
import { VerifySink } from './verify-sink.js';
import { unknownMessage, type RecvJob, type WorkerReply } from '../worker/protocol.js';
import { errorReply } from '../worker/worker-handle.js';
import { serveJobs } from '../worker/job-loop.js';

export interface RecvWorkerData {
  channel: number;
  codecModules: string[];
  codecOptions?: Record<string, unknown>;
}

const data = workerData as RecvWorkerData;
const port = parentPort!;
const post = (msg: WorkerReply) => port.postMessage(msg);
const key = `ch${data.channel}`;

let registry: CodecRegistry | undefined;
let staging: Uint8Array | undefined;
let sink: PageSink | undefined;
let codec: AnyMultiFDMethods | undefined;
let state: unknown;
let lastPacket: number | undefined;

async function cleanup(): Promise<void> {
  if (codec && state !== undefined) {
    const s = state;
    state = undefined;
    await codec.recvCleanup(s);
  }
  await sink?.close(new Map());
  sink = undefined;
}

async function handle(job: RecvJob): Promise<boolean> {
  switch (job.code) {
    case 'BLOCKS': {
      const t = job.target;
      if (t.kind === 'staging') {
        staging = t.memory;
      } else if (t.kind === 'verify') {
        sink = new VerifySink(t.blocks);
      } else if (t.kind === 'memory') {
        sink = new MemorySink({ blocks: new Map(t.blocks.map((b) => [b.name, b.memory])) });
      } else {
        const files = new FileSink(t.dir, { create: false, files: new Map(t.blocks.map((b) => [b.name, b.file])) });
        sink = files;
      }
      post({ code: 'DONE', seq: job.seq, wireBytes: 0, pages: 0 });
      return true;
    }
    case 'PACKET': {
      lastPacket = job.packet;
      if (!sink && !staging) throw new MultifdError('ERR_MULTIFD_STATE', 'a packet before the RAMBlock list');
      // The assembler checked the packet's method bits (the one place they are checked).
      if (!codec) {
        codec = registry!.get(job.method);
        state = await codec.recvSetup({ id: data.channel, ...(data.codecOptions ? { options: data.codecOptions } : {}) });
      }
      const block = { name: job.block, usedLength: job.usedLength };
      const pages = job.slot !== undefined && staging ? slotViews(staging, job.slot, job.normalPages) : sink!.pageViews(key, block, job.offsets);
      await codec.recvPages(state, { flags: job.flags, normalPages: job.normalPages, nextPacketSize: job.nextPacketSize, payload: job.payload, pages });
      if (job.slot === undefined) await sink!.commitPages(key, block, job.offsets);
      // Hand the payload's buffer back: the main thread reuses it for a later packet.
      const buffer = job.payload.buffer as ArrayBuffer;
      port.postMessage({ code: 'DONE', seq: job.seq, wireBytes: job.payload.length, pages: job.normalPages, buffer } satisfies WorkerReply, [buffer]);
      return true;
    }
    case 'CLOSE':
      await cleanup();
      post({ code: 'CLOSED' });
      return false;
    case 'ABORT':
      return false;
    default:
      throw unknownMessage(`channel ${data.channel} receive worker`, job);
  }
}

serveJobs<RecvJob>(port, {
  async start() {
    registry = await loadCodecs(data.codecModules);
  },
  handle,
  fail(error) {
    post(errorReply(MultifdError.is(error) ? error : MultifdError.wrap(error, 'ERR_MULTIFD_CORRUPT_PAYLOAD'), lastPacket));
  },
});
