/** The codecs the CLI knows, registered explicitly into a registry of its own. */
import { CodecRegistry, MultifdError, wireProfile, type AnyMultiFDMethods, type WireProfileName } from '@multifd/core';
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

/** --profile: the wire variant a sender speaks (qemu-7.2 by default, or qemu-10). */
export function profileOption(values: OptionValues): WireProfileName {
  const text = stringOption(values, 'profile') ?? 'qemu-7.2';
  try {
    return wireProfile(text).name;
  } catch (e) {
    throw usageError(`--profile ${text}: ${MultifdError.is(e) ? e.detail : String(e)}`);
  }
}

/** The --profile option's help entry. */
export const PROFILE_OPTION = {
  type: 'string',
  valueName: 'P',
  description: 'wire variant: qemu-7.2 (default: zero pages on the main stream, sync on EOS) or qemu-10 (zero pages in packets, MULTIFD_FLUSH records)',
} as const;
