/**
 * What a codec package hands the suite: the test runner's functions (so this
 * package never imports a runner at run time) and what its codec can do.
 */
import type { CodecRegistry } from '@multifd/core';
import type { ExpectStatic } from 'vitest';

export type TestFunction = () => void | Promise<void>;

/** The runner functions the suite needs; vitest's `describe`, `it` and `expect` fit. */
export interface TestApi {
  describe: (name: string, fn: () => void) => void;
  it: (name: string, fn: TestFunction, timeout?: number) => void;
  expect: ExpectStatic;
}

/** Optional behaviour. Each flag defaults to on; turn one off only when the codec cannot have it. */
export interface CodecCapabilities {
  /**
   * A hook called with a state after its cleanup throws ERR_MULTIFD_STATE.
   * Off: that test is not registered.
   */
  stateAfterCleanup?: boolean;
  /**
   * A payload whose first bytes (where a compressed stream keeps its stream
   * and block headers) are flipped is refused. Off for formats with no
   * structure to check (nocomp): such flips must then still never throw
   * anything but a MultifdError nor write outside the pages. Flips further
   * in are never required to be refused: QEMU's streams carry no checksum,
   * so a flipped literal can decode to other bytes of the right length.
   */
  detectsCorruption?: boolean;
}

export interface ConformanceOptions {
  /** Levels to round-trip (default: every level of `methods.levels`). */
  levels?: readonly number[];
  capabilities?: CodecCapabilities;
  /** The package's `register(registry)`; default: `registry.register(methods)`. */
  register?: (registry: CodecRegistry) => void;
  /** Seed of the page contents (default: the codec's name). */
  seed?: string;
  /**
   * Codec options (ChannelContext.options, e.g. `{ backend: 'node' }`) for
   * every sendSetup and recvSetup the suite makes itself. The migration test
   * receives through core's assembler, which passes none.
   */
  codecOptions?: Readonly<Record<string, unknown>>;
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  levels: readonly (number | undefined)[];
  capabilities: Required<CodecCapabilities>;
  register: (registry: CodecRegistry) => void;
  seed: string;
}
