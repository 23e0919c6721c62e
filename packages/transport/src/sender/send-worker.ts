/**
 * A sending channel's worker thread (QEMU's multifd_send_thread): opens its
 * own connection, sends the initial packet, then for each job encodes the
 * pages with the channel's codec state (read straight from the shared RAM,
 * no copy) and writes header + payload in one writev. Jobs run one at a
 * time, in order; DONE is posted once the kernel has the bytes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DEFAULT_PROFILE, MultifdError, PACKET_HEADER_SIZE, PacketEncoder, PAGE_SIZE, pageViews, sendScan, wireProfile, type EncodedPacket, type WireProfileName } from '@multifd/core';
import { loadCodecs } from '../codecs.js';
import type { SenderBlock } from '../memory.js';
import { slotViews } from '../staging.js';
import { PageReader } from './page-reader.js';
import { socketError, type Address, type TlsOptions } from '../net.js';
import { channelStreamFile, openOutput, type LocalOutput, type StreamOutput } from '../outputs.js';
import { unknownMessage, type SendJob, type WorkerReply } from '../worker/protocol.js';
import { errorReply } from '../worker/worker-handle.js';
import { serveJobs } from '../worker/job-loop.js';

export interface SendWorkerData {
  channel: number;
  address: Address;
  /** Instead of connecting: write the channel to DIR/ch<id>.bin, or discard it. */
  local?: LocalOutput;
  tls?: TlsOptions;
  connectTimeoutMs: number;
  codecModules: string[];
  method: number;
  level?: number;
  codecOptions?: Record<string, unknown>;
  uuid: Uint8Array;
  /** The blocks, by index: shared memory, or files this worker reads (see PageReader). */
  blocks: SenderBlock[];
  /** A relay's staging memory: slots of 128 pages that PAGES jobs read from. */
  staging?: Uint8Array;
  /** packet_num, one counter shared by every channel (as QEMU's), in shared memory. */
  packetNum?: BigInt64Array;
  /** Wire profile name (default qemu-7.2). */
  profile?: WireProfileName;
}

const data = workerData as SendWorkerData;
const port = parentPort!;
const post = (msg: WorkerReply) => port.postMessage(msg);

let output: StreamOutput | undefined;
/** A page reader per block, made at the block's first job. */
const readers = new Map<number, PageReader>();
const readerOf = (block: number) => readers.get(block) ?? readers.set(block, new PageReader(data.blocks[block]!)).get(block)!;
const closeReaders = () => {
  for (const r of readers.values()) r.close();
  readers.clear();
};
let encoder: PacketEncoder | undefined;
let packets = 0;
/** Send one packet and say DONE. */
async function sendPacket(out: StreamOutput, seq: number, p: EncodedPacket): Promise<true> {
  try {
    await out.write([p.header, ...p.payload]);
  } finally {
    p.lease.release(); // written (or failed): the codec may reuse its output buffers
  }
  packets++;
  post({ code: 'DONE', seq, wireBytes: PACKET_HEADER_SIZE + p.payloadSize, pages: p.normalPages + p.zeroPages });
  return true;
}

async function handle(job: SendJob): Promise<boolean> {
  if (job.code === 'CONNECT') {
    await connectOutput();
    post({ code: 'DONE', seq: job.seq, wireBytes: 0, pages: 0 }); // the initial packet is counted once, by the sender
    return true;
  }
  const enc = encoder!;
  const out = output!;
  switch (job.code) {
    case 'SCAN': {
      const block = data.blocks[job.block]!;
      const w = readerOf(job.block).window(job.pages);
      const r = await sendScan(enc, { name: block.name, memory: w.memory }, w.pages, {
        ...(w.blockOffset ? { blockOffset: w.blockOffset } : {}),
        ...(job.zeroInPackets ? { zeroInPackets: true } : {}),
        ...(data.packetNum ? { nextNum: () => Atomics.add(data.packetNum!, 0, 1n) } : {}),
        emit: (p) => out.write([p.header, ...p.payload]),
      });
      packets += r.packets;
      post({
        code: 'DONE',
        seq: job.seq,
        wireBytes: r.wireBytes,
        pages: r.normalPages + r.zeroPagesInPackets,
        scan: { zeros: r.zeros, normalPages: r.normalPages, zeroPagesInPackets: r.zeroPagesInPackets, packets: r.packets },
      });
      return true;
    }
    case 'PACKET': {
      const block = data.blocks[job.block]!;
      const w = readerOf(job.block).window(job.offsets);
      const views = w.blockOffset ? pageViews(w.memory, job.offsets.map((_, i) => i * PAGE_SIZE)) : pageViews(w.memory, job.offsets);
      const p = await enc.packet(block.name, job.offsets, views, {
        ...(job.sync ? { sync: true } : {}),
        ...(job.zeroOffsets ? { zeroOffsets: job.zeroOffsets } : {}),
        num: job.num,
      });
      return sendPacket(out, job.seq, p);
    }
    case 'PAGES': {
      const p = await enc.packet(job.block, job.offsets, slotViews(data.staging!, job.slot, job.offsets.length), {
        ...(job.zeroOffsets ? { zeroOffsets: job.zeroOffsets } : {}),
        num: job.num,
      });
      return sendPacket(out, job.seq, p);
    }
    case 'SYNC':
      return sendPacket(out, job.seq, await enc.sync({ num: job.num }));
    case 'CLOSE':
      closeReaders();
      await enc.close();
      await out.end();
      // Everything is with the kernel; the receiver keeps its side open until
      // the migration is done, which must not keep this thread alive.
      out.destroy();
      post({ code: 'CLOSED' });
      return false;
    case 'ABORT':
      closeReaders();
      output?.destroy();
      return false;
    default:
      throw unknownMessage(`channel ${data.channel} send worker`, job);
  }
}

async function start(): Promise<void> {
  const registry = await loadCodecs(data.codecModules);
  const profile = data.profile ? wireProfile(data.profile) : DEFAULT_PROFILE;
  encoder = new PacketEncoder({
    codec: registry.get(data.method),
    id: data.channel,
    methodFlags: (v) => profile.methodFlags(v),
    syncPagesAlloc: profile.syncPagesAlloc,
    ...(data.level !== undefined ? { level: data.level } : {}),
    ...(data.codecOptions ? { codecOptions: data.codecOptions } : {}),
  });
  await encoder.setup();
}

/** Open the channel's connection (or file) and send the initial packet. */
async function connectOutput(): Promise<void> {
  output = await openOutput(
    data.local
      ? { local: data.local, file: channelStreamFile(data.channel) }
      : { address: data.address, timeoutMs: data.connectTimeoutMs, label: `channel ${data.channel}`, ...(data.tls ? { tls: data.tls } : {}) },
  );
  const socket = output.socket;
  if (socket) {
    socket.on('error', (err) => loop.fail(socketError(err, { channel: data.channel })));
    // The peer never talks on a multifd channel; data from it is ignored, its end is noticed.
    socket.on('data', () => undefined);
  }
  await output.write([encoder!.initialPacket(data.uuid)]);
}

const loop = serveJobs<SendJob>(port, {
  start,
  handle,
  fail(error) {
    post(errorReply(MultifdError.is(error) ? error : MultifdError.wrap(error, 'ERR_MULTIFD_WORKER'), packets));
    output?.destroy();
  },
});
