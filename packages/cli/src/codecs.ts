/** The codecs the CLI knows, registered explicitly into a registry of its own. */
import { CodecRegistry, DEFAULT_PROFILE, WIRE_PROFILES, MultifdError, resolveLevel, wireProfile, type AnyMultiFDMethods, type WireProfileName } from '@multifd/core';
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

/**
 * A --level value for `codec`: an integer inside the codec's own range
 * (usage error, with that range, otherwise; a codec without levels takes
 * none). Absent: undefined (the codec's default).
 */
export function levelOption(values: OptionValues, option: string, codec: AnyMultiFDMethods): number | undefined {
  const text = stringOption(values, option);
  if (text === undefined) return undefined;
  const level = Number(text);
  if (!/^\s*-?\d+\s*$/.test(text)) throw usageError(`--${option} ${text}: expected an integer${codec.levels ? ` from ${codec.levels.min} to ${codec.levels.max} (${codec.name})` : ''}`);
  try {
    return resolveLevel(codec, level);
  } catch (e) {
    throw usageError(`--${option} ${text}: ${MultifdError.is(e) ? e.detail : String(e)}`);
  }
}

/** Help text for a --level option: each built-in codec's own range and default. */
export function levelHelp(prefix = ''): string {
  const ranges = createRegistry()
    .list()
    .filter((c) => c.levels)
    .map((c) => `${c.name} ${c.levels!.min}-${c.levels!.max}`);
  return `${prefix}compression level (${ranges.join(', ')}; default: the codec's, 1)`;
}

/** --zlib-backend: 'node' (default: native zlib) or 'pako'. */
export function zlibBackendOption(values: OptionValues): 'node' | 'pako' {
  const b = stringOption(values, 'zlib-backend') ?? 'node';
  if (b !== 'node' && b !== 'pako') throw usageError(`--zlib-backend ${b}: expected node or pako`);
  return b;
}

/** --profile: the wire variant a sender speaks (DEFAULT_PROFILE unless told). */
export function profileOption(values: OptionValues): WireProfileName {
  const text = stringOption(values, 'profile') ?? DEFAULT_PROFILE.name;
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
  description: `wire variant: ${Object.values(WIRE_PROFILES)
    .map((p) => `${p.name}${p === DEFAULT_PROFILE ? ' (default)' : ''}: ${p.help}`)
    .join('; ')}`,
} as const;
