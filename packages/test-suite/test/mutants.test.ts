/**
 * The suite against broken codecs: each fault must fail every test meant to
 * find it, and every test of the suite must be meant to find some fault (a
 * test no broken codec fails checks nothing).
 */
import { describe, expect, it } from 'vitest';
import { codecConformance, qemuCaptureConformance } from '../src/index.js';
import { collect, failing, type Collected } from './collect.js';
import { mutants, rawCodec, rawMutants, rotCodec, type Mutant } from './codecs.js';

const fixtures = new URL('../../../fixtures/', import.meta.url);
const capture = { capture: new URL('qemu-7.2/nocomp-1ch/', fixtures), blob: new URL('qemu-7.2/blobs/dev-1.bin', fixtures) };

const suites: Record<string, { broken: Mutant[]; tests: (m: Mutant) => Collected[]; correct: Collected[] }> = {
  conformance: {
    broken: mutants(),
    tests: (m) => collect((api) => codecConformance(m.methods, api, { register: m.register ?? ((registry) => registry.register(m.methods)) })),
    correct: collect((api) => codecConformance(rotCodec, api)),
  },
  capture: {
    broken: rawMutants(),
    tests: (m) => collect((api) => qemuCaptureConformance(m.methods, api, capture)),
    correct: collect((api) => qemuCaptureConformance(rawCodec, api, capture)),
  },
};

for (const [kind, { broken, tests, correct }] of Object.entries(suites)) {
  describe(`${kind} tests catch broken codecs`, () => {
    for (const m of broken) {
      it(`fails a codec that ${m.fault}`, async () => {
        const targeted = tests(m).filter((t) => m.caughtBy.test(t.name));
        expect(targeted.length).toBeGreaterThan(0);
        const failed = new Set(await failing(targeted));
        expect(targeted.map((t) => t.name).filter((name) => !failed.has(name))).toEqual([]);
      });
    }

    it('has no test that no broken codec is meant to fail', () => {
      expect(correct.length).toBeGreaterThan(3);
      expect(correct.map((t) => t.name).filter((name) => !broken.some((m) => m.caughtBy.test(name)))).toEqual([]);
    });
  });
}
