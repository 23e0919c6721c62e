/**
 * @multifd/transport: multifd migrations over TCP (TLS optional) with one
 * worker thread per channel.
 */
export * from './net.js';
export * from './options.js';
export * from './progress.js';
export * from './memory.js';
export * from './codecs.js';
export * from './worker/protocol.js';
export * from './worker/worker-handle.js';
export * from './sender/channel-pool.js';
export * from './sender/sender.js';
export * from './receiver/socket-bytes.js';
export * from './receiver/late-source.js';
export * from './receiver/worker-applier.js';
export * from './receiver/receiver.js';
export * from './receiver/incoming.js';
export * from './staging.js';
export * from './relay/relay.js';
export * from './relay/proxy.js';
export * from './outputs.js';
export * from './dirs.js';
export * from './ack.js';
export * from './receiver/worker-decoder.js';
export * from './receiver/verify-sink.js';
