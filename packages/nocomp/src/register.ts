import type { CodecRegistry } from '@multifd/core';
import { nocomp } from './nocomp.js';

/** Register nocomp (method 0) in `registry`; a taken value is ERR_MULTIFD_METHOD_TAKEN. */
export function register(registry: CodecRegistry): void {
  registry.register(nocomp);
}
