/**
 * @multifd/nocomp. Importing this module registers nocomp in the default
 * registry; `register(registry)` puts it into any other.
 */
import { defaultRegistry } from '@multifd/core';
import { nocomp } from './nocomp.js';

export { nocomp, NOCOMP_NAME, NOCOMP_VALUE } from './nocomp.js';
export { register } from './register.js';

defaultRegistry.ensure(nocomp);
