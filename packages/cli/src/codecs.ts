/** The codecs the CLI knows, registered explicitly into a registry of its own. */
import { CodecRegistry, MultifdError, type AnyMultiFDMethods } from '@multifd/core';
import { register as registerNocomp } from '@multifd/nocomp';
import { register as registerZlib } from '@multifd/zlib';
import { register as registerZstd } from '@multifd/zstd';
import { stringOption, usageError } from './args.js';
import type { OptionValues } from './command.js';

export function createRegistry(): CodecRegistry {
  const registry = new CodecRegistry();
  registerNocomp(registry);
  registerZlib(registry);
  registerZstd(registry);
  return registry;
}

/** The codec a --method value names (a name, "none", or a number); a bad one is a usage error. */
export function methodOption(registry: CodecRegistry, option: string, value: string): AnyMultiFDMethods {
  try {
    return registry.lookup(value);
  } catch (e) {
    if (!MultifdError.is(e)) throw e;
    throw usageError(`${option} ${value}: ${e.detail}`);
  }
}

/** --zlib-backend: 'node' (default: native zlib) or 'pako'. */
export function zlibBackendOption(values: OptionValues): 'node' | 'pako' {
  const b = stringOption(values, 'zlib-backend') ?? 'node';
  if (b !== 'node' && b !== 'pako') throw usageError(`--zlib-backend ${b}: expected node or pako`);
  return b;
}
