/**
 * @multifd/fuzz: property-test helpers and a mutation fuzzer for every
 * multifd decoder (packet and initial-packet codecs, the main-stream parser,
 * the channel framer, each codec's recvPages, the whole receiver core),
 * seeded with the real QEMU captures. `npm run fuzz` runs it on all cores.
 */
export * from './rng.js';
export * from './seeds.js';
export * from './case.js';
export * from './guarded-sink.js';
export * from './reference.js';
export * from './mutate.js';
export * from './stats.js';
export * from './corpus.js';
export * from './targets.js';
export * from './runner.js';
