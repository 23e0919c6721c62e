/**
 * A short run of the mutation fuzzer over every target, in this thread: a
 * few thousand inputs per codec, every one of them must end in a typed error
 * or a correct result, with no write outside a RAMBlock and every decidable
 * expectation met. (`npm run fuzz` runs the same targets for as long as you
 * like, on every core.)
 */
import { describe, expect, it } from 'vitest';
import { ALL_TARGETS, CODEC_TARGETS, createTarget, problemCount, runRange, type TargetName } from '../src/index.js';

const SEED = process.env['FUZZ_SEED'] ?? 'npm-test';
const INPUTS: Record<TargetName, number> = {
  nocomp: 3000,
  'zlib-pako': 2000,
  'zlib-node': 3000,
  zstd: 3000,
  main: 5000,
  packet: 10000,
  initial: 10000,
};

describe('short fuzz run', () => {
  for (const name of ALL_TARGETS) {
    it(`${name}: ${INPUTS[name]} mutated inputs, no crash, hang, outside write, untyped exception or broken oracle`, async () => {
      const target = await createTarget(name, { runSeed: SEED, hangMs: 5000 });
      const stats = await runRange(target, 0, INPUTS[name]);
      const problems = stats.samples.map((s) => `${s.kind} #${s.index} [${s.mode} ${s.seed}] ${s.detail} :: ${s.notes.join('; ')}`);
      expect(problems).toEqual([]);
      expect(problemCount(stats)).toBe(0);
      expect(stats.execs).toBe(INPUTS[name]);
      // The inputs reach the decoders: both outcomes happen, with many different codes.
      expect(stats.ok).toBeGreaterThan(0);
      expect(Object.keys(stats.errors).length).toBeGreaterThan(name === 'initial' ? 4 : 7);
      expect(stats.checked.mustFail + stats.checked.mustSucceed).toBeGreaterThan(INPUTS[name] / 10);
      if ((CODEC_TARGETS as readonly string[]).includes(name)) {
        expect(stats.modes['assemble']).toBeGreaterThan(0);
        expect(stats.modes['recv']).toBeGreaterThan(0);
        expect(stats.checked.loss).toBeGreaterThan(0);
        for (const code of ['ERR_MULTIFD_TRUNCATED', 'ERR_MULTIFD_OFFSET_RANGE', 'ERR_MULTIFD_PAYLOAD_SIZE', 'ERR_MULTIFD_UUID_MISMATCH', 'ERR_MULTIFD_DUPLICATE_CHANNEL', 'ERR_MULTIFD_SYNC_MISMATCH']) {
          expect(stats.errors[code], code).toBeGreaterThan(0);
        }
      }
    });
  }
});
