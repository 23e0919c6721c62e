/**
 * The codec registry: codecs keyed by their 3-bit method value, held in a
 * tsyringe container (one per registry). `defaultRegistry` is where codec
 * packages register themselves on import; `new CodecRegistry()` and
 * `registry.createChild()` give isolated registries (a child sees its
 * parent's codecs and may add its own).
 */
import { rootContainer, type DependencyContainer, type InjectionToken } from './container.js';
import { MultifdError } from '../errors.js';
import { MAX_METHOD_VALUE, assertMethodValue } from '../wire/flags.js';
import type { AnyMultiFDMethods } from './methods.js';

/**
 * The token a codec is registered under: a `Symbol.for` key, so two copies of
 * this package (a plugin with its own node_modules) agree on it.
 */
function methodToken(value: number): InjectionToken<AnyMultiFDMethods> {
  return Symbol.for(`@multifd/core:method/${value}`);
}

const HOOKS = ['sendSetup', 'sendPrepare', 'sendCleanup', 'recvSetup', 'recvPages', 'recvCleanup'] as const;

export class CodecRegistry {
  /** Private: what a registry holds is reached through its methods only. */
  readonly #container: DependencyContainer;

  /** A registry of its own; given `parent`, it also sees the parent's codecs (see createChild). */
  constructor(parent?: CodecRegistry) {
    this.#container = (parent ? parent.#container : rootContainer).createChildContainer();
  }

  /**
   * Register a codec under its value. A value outside 0-7 is
   * ERR_MULTIFD_METHOD_RANGE; a value or name already taken (here or in a
   * parent) is ERR_MULTIFD_METHOD_TAKEN.
   */
  register(methods: AnyMultiFDMethods): void {
    checkShape(methods);
    assertMethodValue(methods.value);
    if (this.has(methods.value)) {
      const taken = this.get(methods.value);
      throw new MultifdError('ERR_MULTIFD_METHOD_TAKEN', `method value ${methods.value} is taken by ${taken.name}`);
    }
    const sameName = this.list().find((m) => m.name === methods.name);
    if (sameName) {
      throw new MultifdError('ERR_MULTIFD_METHOD_TAKEN', `method name ${methods.name} is taken by value ${sameName.value}`);
    }
    this.#container.registerInstance(methodToken(methods.value), methods);
  }

  /**
   * Register unless the same codec (same value and name) is already there:
   * what a codec package does on import, so that importing it twice, or two
   * copies of it, is harmless. Another codec on the value is still an error.
   */
  ensure(methods: AnyMultiFDMethods): void {
    assertMethodValue(methods.value);
    if (this.has(methods.value) && this.get(methods.value).name === methods.name) return;
    this.register(methods);
  }

  has(value: number): boolean {
    return Number.isInteger(value) && value >= 0 && value <= MAX_METHOD_VALUE && this.#container.isRegistered(methodToken(value), true);
  }

  /** The codec for `value`, or ERR_MULTIFD_UNKNOWN_METHOD (ERR_MULTIFD_METHOD_RANGE outside 0-7). */
  get(value: number): AnyMultiFDMethods {
    assertMethodValue(value);
    if (!this.has(value)) {
      throw new MultifdError('ERR_MULTIFD_UNKNOWN_METHOD', `no codec registered for method value ${value}`);
    }
    return this.#container.resolve(methodToken(value));
  }

  /** The codec called `name` ("nocomp", "none", "zlib", ...), or ERR_MULTIFD_UNKNOWN_METHOD. */
  byName(name: string): AnyMultiFDMethods {
    const wanted = name === 'none' ? 'nocomp' : name;
    const found = this.list().find((m) => m.name === wanted);
    if (!found) {
      const known = this.list().map((m) => m.name).join(', ') || 'none';
      throw new MultifdError('ERR_MULTIFD_UNKNOWN_METHOD', `no codec named ${JSON.stringify(name)} (registered: ${known})`);
    }
    return found;
  }

  /** A codec by name or by value given as text ("zstd", "2"). */
  lookup(nameOrValue: string | number): AnyMultiFDMethods {
    if (typeof nameOrValue === 'number') return this.get(nameOrValue);
    return /^\d+$/.test(nameOrValue) ? this.get(Number(nameOrValue)) : this.byName(nameOrValue);
  }

  /** Registered codecs, by value. */
  list(): AnyMultiFDMethods[] {
    const out: AnyMultiFDMethods[] = [];
    for (let v = 0; v <= MAX_METHOD_VALUE; v++) if (this.has(v)) out.push(this.#container.resolve(methodToken(v)));
    return out;
  }

  /** A registry that sees this one's codecs and can add its own without touching it. */
  createChild(): CodecRegistry {
    return new CodecRegistry(this);
  }
}

function checkShape(methods: AnyMultiFDMethods): void {
  const bad = (what: string) => new MultifdError('ERR_MULTIFD_BAD_OPTION', `codec ${String(methods?.name)}: ${what}`);
  if (typeof methods !== 'object' || methods === null) throw bad('is not an object');
  if (typeof methods.name !== 'string' || !/^[a-z0-9][a-z0-9_-]*$/.test(methods.name)) throw bad('name must be lower-case letters, digits, - or _');
  for (const hook of HOOKS) if (typeof methods[hook] !== 'function') throw bad(`hook ${hook} is missing`);
}

const DEFAULT_KEY = Symbol.for('@multifd/core:default-registry');

/**
 * The process-wide registry codec packages register into on import. Kept on
 * `globalThis` under a `Symbol.for` key so that every copy of @multifd/core
 * in a process shares it.
 */
export const defaultRegistry: CodecRegistry = ((globalThis as Record<symbol, unknown>)[DEFAULT_KEY] ??= new CodecRegistry()) as CodecRegistry;
