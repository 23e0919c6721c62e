import type { CodecRegistry } from '@multifd/core';
import { lz4 } from './lz4.js';

/** Register lz4 (method 3) in `registry`; a taken value or name is ERR_MULTIFD_METHOD_TAKEN. */
export function register(registry: CodecRegistry): void {
  registry.register(lz4);
}
