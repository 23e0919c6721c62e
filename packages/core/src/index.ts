/**
 * @multifd/core: the QEMU multifd wire format (7.2, with the 10.0
 * differences a receiver must accept), the codec plugin contract and
 * registry, typed errors, the RAMBlock model, and the receiver core that
 * rebuilds RAM from a migration's streams.
 */
export * from './wire/constants.js';
export * from './errors.js';
export * from './wire/bytes.js';
export * from './wire/uuid.js';
export * from './wire/flags.js';
export * from './wire/initial-packet.js';
export * from './wire/packet.js';
export * from './ram/ramblock.js';
export * from './codec/page-writer.js';
export * from './codec/page-runs.js';
export * from './codec/methods.js';
export * from './codec/payload-limit.js';
export * from './codec/levels.js';
export * from './codec/registry.js';
export * from './ram/sparse-bitmap.js';
export * from './wire/stream-kind.js';
export * from './main-stream/format.js';
export * from './main-stream/parser.js';
export * from './main-stream/encoder.js';
export * from './buffers/lease.js';
export * from './buffers/buffer-pool.js';
export * from './channel-stream/chunk-queue.js';
export * from './channel-stream/framer.js';
export * from './channel-stream/file-chunks.js';
export * from './assembler/page-sink.js';
export * from './assembler/memory-sink.js';
export * from './assembler/file-sink.js';
export * from './assembler/scratch-pages.js';
export * from './assembler/sync-barrier.js';
export * from './assembler/abortable.js';
export * from './assembler/assembler.js';
export * from './channel-stream/packet-encoder.js';
export * from './testing/prng.js';
export * from './testing/patterns.js';
export * from './sender/planner.js';
export * from './sender/offline-writer.js';
export * from './assembler/packet-applier.js';
export * from './ram/zero-pages.js';
export * from './ram/touch.js';
export * from './sender/scan-packets.js';
export * from './wire/profile.js';
