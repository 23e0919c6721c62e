/**
 * Injection tokens, in one place. `Symbol.for` keys, so two copies of this
 * package (a plugin with its own node_modules) agree on them.
 */
import type { InjectionToken } from 'tsyringe';
import type { AnyMultiFDMethods } from './methods.js';
import type { CodecRegistry } from './registry.js';

/** Every codec registered in a container (resolveAll). */
export const CODEC_METHODS: InjectionToken<AnyMultiFDMethods> = Symbol.for('@multifd/core:codec-methods');

/** The CodecRegistry that owns a container. */
export const CODEC_REGISTRY: InjectionToken<CodecRegistry> = Symbol.for('@multifd/core:codec-registry');

/** The codec registered under one method value. */
export function methodToken(value: number): InjectionToken<AnyMultiFDMethods> {
  return Symbol.for(`@multifd/core:method/${value}`);
}
