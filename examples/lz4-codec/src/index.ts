/**
 * multifd-codec-lz4: LZ4 as multifd method 3. Importing this module registers
 * it in @multifd/core's default registry; `register(registry)` puts it into
 * any other.
 */
import { defaultRegistry } from '@multifd/core';
import { lz4 } from './lz4.js';

export { lz4, LZ4_NAME, LZ4_VALUE, lz4MaxPayload } from './lz4.js';
export { register } from './register.js';

defaultRegistry.ensure(lz4);
