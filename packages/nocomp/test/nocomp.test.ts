import { describe, expect, it } from 'vitest';
import { PAGE_SIZE, Prng } from '@multifd/core';
import { codecConformance, makePages, qemuCaptureConformance } from '@multifd/test-suite';
import { nocomp, register } from '@multifd/nocomp';

// Raw pages have no structure a receiver could check: a flipped byte is just another page.
codecConformance(nocomp, { describe, it, expect }, { register, capabilities: { detectsCorruption: false } });

const fixtures = new URL('../../../fixtures/', import.meta.url);
for (const capture of ['qemu-7.2/nocomp-2ch/', 'qemu-7.2/nocomp-2ch-dup/']) {
  qemuCaptureConformance(nocomp, { describe, it, expect }, { capture: new URL(capture, fixtures), blob: new URL('qemu-7.2/blobs/dev-1.bin', fixtures) });
}

describe('nocomp specifics', () => {
  it('sends the page views themselves (zero copy)', async () => {
    const pages = makePages(new Prng('nocomp/zero-copy'), 3);
    const state = await nocomp.sendSetup({ id: 0 });
    const prepared = await nocomp.sendPrepare(state, { pages });
    expect(prepared.size).toBe(3 * PAGE_SIZE);
    expect(prepared.payload).toHaveLength(3);
    prepared.payload.forEach((range, i) => expect(range).toBe(pages[i]));
  });

  it('reads normal_pages * 4096 payload bytes whatever next_packet_size says, as QEMU does', () => {
    expect(nocomp.payloadLength!(5, 0)).toBe(5 * PAGE_SIZE);
    expect(nocomp.payloadLength!(5, 0xffffffff)).toBe(5 * PAGE_SIZE);
    expect(nocomp.maxPayloadSize!(128)).toBe(128 * PAGE_SIZE);
  });
});
