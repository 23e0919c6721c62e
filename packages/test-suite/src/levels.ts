/** Compression levels: every level round-trips; a level outside the range is refused at sendSetup. */
import type { AnyMultiFDMethods } from '@multifd/core';
import { makePages, outcomeOf, receiveChannel, rngFor, sendChannel } from './harness.js';
import { compareChannel } from './round-trip.js';
import type { ResolvedOptions, TestApi } from './types.js';

/** Levels a codec must refuse: just outside its range and between two levels; any level when it has none. */
function badLevels(methods: AnyMultiFDMethods): number[] {
  const range = methods.levels;
  return range ? [range.min - 1, range.max + 1, range.min + 0.5, Number.NaN] : [0, 1, -1];
}

export function levelTests(methods: AnyMultiFDMethods, { describe, it, expect }: TestApi, opts: ResolvedOptions): void {
  describe('levels', () => {
    for (const level of opts.levels) {
      it(level === undefined ? 'round-trips without a level (the codec has none)' : `round-trips at level ${level}`, async () => {
        expect.hasAssertions();
        const rng = rngFor(opts.seed, `level-${level}`);
        const plan = [makePages(rng, 16), [], makePages(rng, 3)];
        const { wire, sent } = await sendChannel(methods, 0, plan, level);
        expect(compareChannel(sent, await receiveChannel(methods, 0, wire))).toEqual([]);
      });
    }

    it('refuses a level outside its range at sendSetup with ERR_MULTIFD_BAD_OPTION', async () => {
      expect.hasAssertions();
      const outcomes: Record<string, string> = {};
      for (const level of badLevels(methods)) {
        outcomes[String(level)] = await outcomeOf(async () => {
          const state = await methods.sendSetup({ id: 0, level });
          await methods.sendCleanup(state);
        });
      }
      expect(outcomes).toEqual(Object.fromEntries(badLevels(methods).map((l) => [String(l), 'ERR_MULTIFD_BAD_OPTION'])));
    });
  });
}
