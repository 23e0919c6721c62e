/** Cleanup hooks, states used after cleanup, and registration in a CodecRegistry. */
import { CodecRegistry, type AnyMultiFDMethods } from '@multifd/core';
import { GuardedPages, makePages, outcomeOf, rngFor } from './harness.js';
import type { ResolvedOptions, TestApi } from './types.js';

export function lifecycleTests(methods: AnyMultiFDMethods, { describe, it, expect }: TestApi, opts: ResolvedOptions): void {
  const rng = rngFor(opts.seed, 'lifecycle');
  const pages = makePages(rng, 4);

  /** A send state that has compressed one packet, and that packet's payload. */
  const usedSender = async () => {
    const state = await methods.sendSetup({ id: 0 });
    const prepared = await methods.sendPrepare(state, { pages });
    return { state, payload: Buffer.concat(prepared.payload) };
  };
  const recvInto = (state: unknown, payload: Uint8Array) =>
    methods.recvPages(state, { flags: methods.value << 1, normalPages: pages.length, nextPacketSize: payload.length, payload, pages: new GuardedPages(pages.length).views });

  describe('lifecycle', () => {
    it('cleanup hooks are safe to call twice, on fresh and on used states', async () => {
      expect.hasAssertions();
      const fresh = await methods.sendSetup({ id: 0 });
      const used = await usedSender();
      const freshRecv = await methods.recvSetup({ id: 0 });
      const usedRecv = await methods.recvSetup({ id: 0 });
      await recvInto(usedRecv, used.payload);
      const outcomes = [];
      for (let i = 0; i < 2; i++) {
        outcomes.push(await outcomeOf(() => methods.sendCleanup(fresh)));
        outcomes.push(await outcomeOf(() => methods.sendCleanup(used.state)));
        outcomes.push(await outcomeOf(() => methods.recvCleanup(freshRecv)));
        outcomes.push(await outcomeOf(() => methods.recvCleanup(usedRecv)));
      }
      expect(outcomes).toEqual(Array(8).fill('ok'));
    });

    if (opts.capabilities.stateAfterCleanup) {
      it('refuses a state used after its cleanup with ERR_MULTIFD_STATE', async () => {
        expect.hasAssertions();
        const { state, payload } = await usedSender();
        await methods.sendCleanup(state);
        const recv = await methods.recvSetup({ id: 0 });
        await methods.recvCleanup(recv);
        expect({
          sendPrepare: await outcomeOf(() => methods.sendPrepare(state, { pages })),
          recvPages: await outcomeOf(() => recvInto(recv, payload)),
        }).toEqual({ sendPrepare: 'ERR_MULTIFD_STATE', recvPages: 'ERR_MULTIFD_STATE' });
      });
    }
  });

  describe('registration', () => {
    it('register() puts the codec into a fresh CodecRegistry, and only there', () => {
      expect.hasAssertions();
      const registry = new CodecRegistry();
      expect(registry.has(methods.value)).toBe(false);
      opts.register(registry);
      const found = registry.get(methods.value);
      expect({ name: found.name, value: found.value }).toEqual({ name: methods.name, value: methods.value });
      expect(registry.byName(methods.name)).toBe(found);
      expect(registry.lookup(String(methods.value))).toBe(found);
      expect(registry.list()).toEqual([found]);
      expect(new CodecRegistry().has(methods.value)).toBe(false);
    });

    it('refuses a second register() with ERR_MULTIFD_METHOD_TAKEN', async () => {
      expect.hasAssertions();
      const registry = new CodecRegistry();
      opts.register(registry);
      expect(await outcomeOf(() => opts.register(registry))).toBe('ERR_MULTIFD_METHOD_TAKEN');
      expect(registry.list()).toHaveLength(1);
    });
  });
}
