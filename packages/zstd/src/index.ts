/**
 * @multifd/zstd. Importing this module registers zstd in the default
 * registry; `register(registry)` puts it into any other.
 */
import { defaultRegistry } from '@multifd/core';
import { zstdCodec } from './zstd.js';

export { zstdCodec, zstdCodec as zstd, ZSTD_NAME, ZSTD_VALUE, ZSTD_LEVELS } from './zstd.js';
export { register } from './register.js';

defaultRegistry.ensure(zstdCodec);
