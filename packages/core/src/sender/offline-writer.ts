/**
 * Executes a MigrationPlanner's steps without sockets: packets are dealt to
 * the channels round-robin and encoded in this thread. For tests, benchmarks
 * and files that must hold exactly what would go on the wire.
 */
import type { AnyMultiFDMethods } from '../codec/methods.js';
import { PacketEncoder } from '../channel-stream/packet-encoder.js';
import { sendScan } from './scan-packets.js';
import { QEMU_7_2, type WireProfile } from '../wire/profile.js';
import type { RAMBlock } from '../ram/ramblock.js';
import { MigrationPlanner, type PageSelection, type PlanStep } from './planner.js';

export interface MigrationOutput {
  /** Bytes for the main stream. */
  main(bytes: Uint8Array): void | Promise<void>;
  /** Bytes for channel `id` (ranges valid only during the call). */
  channel(id: number, chunks: readonly Uint8Array[]): void | Promise<void>;
}

export interface WriteMigrationOptions {
  blocks: readonly RAMBlock[];
  codec: AnyMultiFDMethods;
  channels: number;
  level?: number;
  codecOptions?: Readonly<Record<string, unknown>>;
  uuid?: Uint8Array;
  /** Wire variant (default qemu-7.2). */
  profile?: WireProfile;
  /** Passes over memory; default one pass over every page. The last is the END section. */
  passes?: Iterable<PageSelection>;
  out: MigrationOutput;
}

/** Write a whole migration; returns the planner's counts. */
export async function writeMigration(options: WriteMigrationOptions): Promise<MigrationPlanner['counts']> {
  const { out } = options;
  const profile = options.profile ?? QEMU_7_2;
  const planner = new MigrationPlanner({ blocks: options.blocks, profile });
  let num = 0n;
  const encoders = Array.from({ length: options.channels }, (_, id) =>
    new PacketEncoder({
      codec: options.codec,
      id,
      methodFlags: (v) => profile.methodFlags(v),
      syncPagesAlloc: profile.syncPagesAlloc,
      ...(options.level !== undefined ? { level: options.level } : {}),
      ...(options.codecOptions ? { codecOptions: options.codecOptions } : {}),
    }),
  );
  let turn = 0;
  const run = async (steps: Iterable<PlanStep>) => {
    for (const step of steps) {
      if (step.kind === 'main') {
        await out.main(step.bytes);
      } else if (step.kind === 'sync') {
        for (const enc of encoders) {
          const p = await enc.sync({ num: num++ });
          try {
            await out.channel(enc.id, [p.header]);
          } finally {
            p.lease.release();
          }
        }
      } else if (step.kind === 'scan') {
        const enc = encoders[turn++ % encoders.length]!;
        const r = await sendScan(enc, step.block, step.pages, {
          zeroInPackets: step.zeroInPackets,
          nextNum: () => num++,
          emit: (p) => out.channel(enc.id, [p.header, ...p.payload]),
        });
        planner.sent(r.normalPages, r.packets, r.zeroPagesInPackets);
        const bytes = planner.zeroPages(step.block, r.zeros);
        if (bytes) await out.main(bytes);
      }
      // 'drain': every scan above ran to completion already.
    }
  };
  try {
    for (const enc of encoders) {
      await enc.setup();
      await out.channel(enc.id, [enc.initialPacket(options.uuid)]);
    }
    await run(planner.start());
    const passes: PageSelection[] = options.passes ? [...options.passes] : ['all'];
    for (let i = 0; i < passes.length; i++) await run(planner.pass(passes[i]!, i === passes.length - 1));
  } finally {
    for (const enc of encoders) await enc.close();
  }
  return planner.counts;
}
