/** Our three codecs in a registry of the bench's own. */
import { CodecRegistry } from '@multifd/core';
import { register as registerNocomp } from '@multifd/nocomp';
import { register as registerZlib } from '@multifd/zlib';
import { register as registerZstd } from '@multifd/zstd';

export function benchRegistry(): CodecRegistry {
  const registry = new CodecRegistry();
  registerNocomp(registry);
  registerZlib(registry);
  registerZstd(registry);
  return registry;
}
