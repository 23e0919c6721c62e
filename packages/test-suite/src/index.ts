/**
 * @multifd/test-suite: the conformance suite every codec package runs, in
 * the manner of keyv's @keyv/test-suite. One call registers every test:
 *
 * ```ts
 * import { describe, it, expect } from 'vitest';
 * import { codecConformance } from '@multifd/test-suite';
 * import { zlib, register } from '@multifd/zlib';
 *
 * codecConformance(zlib, { describe, it, expect }, { register });
 * ```
 *
 * The runner's functions come in as parameters, so this package does not
 * load a test runner itself. Optional behaviour is switched by
 * `capabilities`; a switched-off capability removes (or weakens, see
 * CodecCapabilities) its test, it never registers a skipped one.
 */
import type { AnyMultiFDMethods } from '@multifd/core';
import { hostileTests } from './hostile.js';
import { levelTests } from './levels.js';
import { lifecycleTests } from './lifecycle.js';
import { migrationTests } from './migration.js';
import { roundTripTests } from './round-trip.js';
import type { ConformanceOptions, ResolvedOptions, TestApi } from './types.js';

export type { CodecCapabilities, ConformanceOptions, TestApi, TestFunction } from './types.js';
export { qemuCaptureConformance, type CaptureOptions } from './capture.js';
export { PAYLOAD_ERROR_CODES, outcomesInPlaceOf, recvInPlaceOf } from './hostile.js';
export {
  BLOCK,
  ChannelReceiver,
  ChannelSender,
  GuardedPages,
  makePages,
  outcomeOf,
  pageMismatch,
  receiveChannel,
  sendChannel,
  type ReceivedPacket,
  type SentPacket,
} from './harness.js';

function resolve(methods: AnyMultiFDMethods, options: ConformanceOptions): ResolvedOptions {
  const range = methods.levels;
  const all = range ? Array.from({ length: range.max - range.min + 1 }, (_, i) => range.min + i) : [undefined];
  return {
    levels: options.levels ?? all,
    capabilities: { stateAfterCleanup: true, detectsCorruption: true, ...options.capabilities },
    register: options.register ?? ((registry) => registry.register(methods)),
    seed: options.seed ?? methods.name,
  };
}

/** `methods` with `options` put into the ChannelContext of every setup. */
function withCodecOptions(methods: AnyMultiFDMethods, options: Readonly<Record<string, unknown>>): AnyMultiFDMethods {
  return {
    ...methods,
    sendSetup: (channel) => methods.sendSetup({ ...channel, options: { ...options, ...channel.options } }),
    recvSetup: (channel) => methods.recvSetup({ ...channel, options: { ...options, ...channel.options } }),
  };
}

/** Register the whole conformance suite for `methods` with the runner's `describe`/`it`/`expect`. */
export function codecConformance(codec: AnyMultiFDMethods, api: TestApi, options: ConformanceOptions = {}): void {
  const methods = options.codecOptions ? withCodecOptions(codec, options.codecOptions) : codec;
  const opts = resolve(methods, options);
  const variant = options.codecOptions ? ` ${JSON.stringify(options.codecOptions)}` : '';
  api.describe(`@multifd/test-suite: ${methods.name} (method ${methods.value})${variant}`, () => {
    roundTripTests(methods, api, opts);
    levelTests(methods, api, opts);
    hostileTests(methods, api, opts);
    lifecycleTests(methods, api, opts);
    migrationTests(methods, api, opts);
  });
}
