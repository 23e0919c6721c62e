/**
 * Codecs in worker threads. A worker has its own module graph, so it cannot
 * receive codec objects; it receives module specifiers and imports them. A
 * module that exports `register(registry)` is registered into the worker's
 * registry; one that only registers itself on import lands in the default
 * registry, which the worker registry's parent is.
 */
import { pathToFileURL } from 'node:url';
import * as path from 'node:path';
import { CodecRegistry, MultifdError, defaultRegistry, type AnyMultiFDMethods } from '@multifd/core';

/** The codec packages of this project, by module specifier. */
export const BUILTIN_CODEC_MODULES = ['@multifd/nocomp', '@multifd/zlib', '@multifd/zstd'] as const;

/** A specifier a worker can import: package names stay, file paths become file URLs. */
export function workerSpecifier(spec: string): string {
  if (spec.startsWith('.') || path.isAbsolute(spec)) return pathToFileURL(path.resolve(spec)).href;
  return spec;
}

/**
 * Import `modules` and register their codecs into `into` (default: a fresh,
 * isolated registry). A module's `register(registry)` export is used when
 * present; otherwise whatever it registered into the default registry on
 * import is copied over. A module that yields no codec is an error.
 */
/** What each self-registering module put into the default registry, the first time it was imported. */
const selfRegistered = new Map<string, AnyMultiFDMethods[]>();

export async function loadCodecs(modules: readonly string[], into: CodecRegistry = new CodecRegistry()): Promise<CodecRegistry> {
  for (const spec of modules) {
    const known = selfRegistered.get(spec);
    if (known) {
      // Imported before (modules run once per thread): register what it registered then.
      for (const m of known) into.ensure(m);
      continue;
    }
    const before = new Set(defaultRegistry.list());
    let mod: { register?: unknown };
    try {
      mod = (await import(spec)) as { register?: unknown };
    } catch (e) {
      throw new MultifdError('ERR_MULTIFD_BAD_OPTION', `codec module ${spec} does not load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, {}, { cause: e });
    }
    if (typeof mod.register === 'function') {
      (mod.register as (r: CodecRegistry) => void)(into);
      continue;
    }
    const added = defaultRegistry.list().filter((m) => !before.has(m));
    if (added.length === 0) {
      throw new MultifdError('ERR_MULTIFD_BAD_OPTION', `codec module ${spec} neither exports register() nor registered a codec on import`);
    }
    selfRegistered.set(spec, added);
    for (const m of added) into.register(m);
  }
  return into;
}
