import type { CodecRegistry } from '@multifd/core';
import { zlib } from './zlib.js';

/** Register zlib (method 1) in `registry`; a taken value is ERR_MULTIFD_METHOD_TAKEN. */
export function register(registry: CodecRegistry): void {
  registry.register(zlib);
}
