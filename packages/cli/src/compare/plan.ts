/**
 * Which rows `compare` runs: every registered method (or those --methods
 * names), at the levels --levels asks for it (default: the method's
 * default level), for every --channels count; zlib once per backend asked.
 */
import { DEFAULT_PROFILE, MultifdError, resolveLevel, wireProfile, type AnyMultiFDMethods, type CodecRegistry, type WireProfileName } from '@multifd/core';

/** Whether `profile` can put method `value` on the wire (see core's profile.ts). */
function carries(profile: WireProfileName, value: number): boolean {
  try {
    wireProfile(profile).methodFlags(value);
    return true;
  } catch {
    return false;
  }
}
import { usageError } from '../args.js';

export type ZlibBackend = 'node' | 'pako';

export interface RowSpec {
  codec: AnyMultiFDMethods;
  /** The method as rows show it: its name, or "zlib-pako" for zlib on the pako backend. */
  method: string;
  /** undefined for a method without levels (nocomp). */
  level: number | undefined;
  channels: number;
  codecOptions: Record<string, unknown>;
  /** The wire variant the row's streams follow. */
  profile: WireProfileName;
}

export interface PlanOptions {
  /** Method names (or values) to run; default every registered method. */
  methods?: readonly string[];
  /** Levels per method name or value, from --levels. */
  levels: ReadonlyMap<string, readonly number[]>;
  channels: readonly number[];
  zlibBackends: readonly ZlibBackend[];
  /** Wire profiles, each row run under every one (default qemu-7.2 only). */
  profiles?: readonly WireProfileName[];
}

/** A word of --levels: METHOD:L[,L|L-L]... (a method without levels: METHOD alone). */
export const LEVEL_SPEC = /^([a-z0-9][a-z0-9_-]*)(?::(\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*))?$/;

/** Parse --levels values ("zlib:1,6,9 zstd:1-3", several words per value allowed). */
export function parseLevels(values: readonly string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const word of values.flatMap((v) => v.split(/[\s;]+/)).filter(Boolean)) {
    // A bare number is a level without its method, not a method value.
    if (/^\d+(?:[-,]\d+)*$/.test(word)) throw usageError(`--levels ${word}: a level needs its method: METHOD:LEVEL, e.g. zstd:${word}`);
    const m = LEVEL_SPEC.exec(word);
    if (!m) throw usageError(`--levels ${word}: expected METHOD:LEVEL[,LEVEL...] (e.g. zlib:1,6,9 zstd:1-3)`);
    const levels = out.get(m[1]!) ?? [];
    for (const part of m[2]?.split(',') ?? []) {
      const [from, to = from] = part.split('-').map(Number) as [number, number?];
      if (to! < from || to! - from > 100) throw usageError(`--levels ${word}: bad range ${part}`);
      for (let l = from; l <= to!; l++) if (!levels.includes(l)) levels.push(l);
    }
    out.set(m[1]!, levels);
  }
  return out;
}

/** The rows, in order: method (by value), zlib backend, level, channels. Unknown methods and bad levels are usage errors (exit 2). */
export function planRows(registry: CodecRegistry, o: PlanOptions): RowSpec[] {
  const lookup = (name: string, option: string) => {
    try {
      return registry.lookup(name);
    } catch (e) {
      if (!MultifdError.is(e)) throw e;
      throw usageError(`${option} ${name}: ${e.detail}`);
    }
  };
  const levelsOf = new Map<number, readonly number[]>();
  for (const [name, levels] of o.levels) levelsOf.set(lookup(name, '--levels').value, levels);
  const codecs = o.methods ? [...new Set(o.methods.map((m) => lookup(m, '--methods')))] : registry.list();
  const rows: RowSpec[] = [];
  for (const codec of codecs.sort((a, b) => a.value - b.value)) {
    const asked = levelsOf.get(codec.value) ?? [];
    const levels = asked.length > 0 ? asked.map((l) => checkLevel(codec, l)) : [resolveLevel(codec, undefined)];
    const backends: (ZlibBackend | undefined)[] = codec.name === 'zlib' ? [...o.zlibBackends] : [undefined];
    for (const backend of backends) {
      for (const level of levels) {
        for (const channels of o.channels) {
          // Profiles side by side; a method value a profile cannot carry (4-7 under qemu-10) gets no row there.
          for (const profile of (o.profiles ?? [DEFAULT_PROFILE.name]).filter((p) => carries(p, codec.value))) {
            rows.push({
              codec,
              method: backend === 'pako' ? 'zlib-pako' : codec.name,
              level,
              channels,
              codecOptions: { backend: backend ?? 'node' },
              profile,
            });
          }
        }
      }
    }
  }
  return rows;
}

function checkLevel(codec: AnyMultiFDMethods, level: number): number | undefined {
  try {
    return resolveLevel(codec, level);
  } catch (e) {
    throw MultifdError.is(e) ? usageError(`--levels: ${e.detail}`) : e;
  }
}
