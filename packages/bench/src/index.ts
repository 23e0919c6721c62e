/** @multifd/bench: the decode benchmark (`npm run bench`) as functions, for tests. */
export * from './options.js';
export * from './workload.js';
export * from './measure.js';
export * from './run.js';
export * from './discard-receiver.js';
