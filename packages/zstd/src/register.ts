import type { CodecRegistry } from '@multifd/core';
import { zstdCodec } from './zstd.js';

/** Register zstdCodec (method 2) in `registry`; a taken value is ERR_MULTIFD_METHOD_TAKEN. */
export function register(registry: CodecRegistry): void {
  registry.register(zstdCodec);
}
