/**
 * @multifd/zlib. Importing this module registers zlib in the default
 * registry; `register(registry)` puts it into any other.
 */
import { defaultRegistry } from '@multifd/core';
import { zlib } from './zlib.js';

export { zlib, ZLIB_NAME, ZLIB_VALUE, ZLIB_LEVELS, ZLIB_BACKENDS, type ZlibBackend } from './zlib.js';
export { register } from './register.js';

defaultRegistry.ensure(zlib);
