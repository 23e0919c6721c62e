/**
 * @multifd/core: the QEMU multifd wire format (7.2, with the 10.0
 * differences a receiver must accept), the codec plugin contract and
 * registry, typed errors, the RAMBlock model, and the receiver core that
 * rebuilds RAM from a migration's streams.
 */
export * from './constants.js';
export * from './errors.js';
export * from './bytes.js';
export * from './uuid.js';
export * from './flags.js';
export * from './initial-packet.js';
export * from './packet.js';
export * from './ramblock.js';
export * from './page-writer.js';
export * from './page-runs.js';
export * from './methods.js';
export * from './payload-limit.js';
export * from './levels.js';
export * from './registry.js';
export * from './sparse-bitmap.js';
export * from './stream-kind.js';
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
export * from './pages/prng.js';
export * from './pages/patterns.js';
export * from './sender/planner.js';
export * from './sender/offline-writer.js';
export * from './assembler/packet-applier.js';
export * from './pages/zero-scan.js';
export * from './pages/touch.js';
export * from './sender/scan-packets.js';
export * from './profile.js';
