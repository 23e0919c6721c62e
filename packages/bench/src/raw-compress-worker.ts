/**
 * A worker thread for compare-bench's parallel raw loop: one codec send
 * state compressing its share of the packets (page offsets into shared
 * memory), started together with the other workers by a GO message, so the
 * machine's own scaling with threads is measured without any pipeline.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pageViews, type AnyMultiFDMethods } from '@multifd/core';
import { benchRegistry } from './codecs.js';

export interface RawWorkerData {
  method: string;
  level?: number;
  codecOptions: Record<string, unknown>;
  memory: Uint8Array;
  /** This worker's packets: page offsets each. */
  packets: number[][];
}

const data = workerData as RawWorkerData;
const port = parentPort!;
const codec: AnyMultiFDMethods = benchRegistry().lookup(data.method);
const packets = data.packets.map((offsets) => pageViews(data.memory, offsets));
const state = await codec.sendSetup({ id: 0, ...(data.level !== undefined ? { level: data.level } : {}), options: data.codecOptions });
port.postMessage('READY');
port.once('message', async () => {
  const t0 = performance.now();
  for (const pages of packets) await codec.sendPrepare(state, { pages });
  const seconds = (performance.now() - t0) / 1000;
  await codec.sendCleanup(state);
  port.postMessage(seconds);
});
