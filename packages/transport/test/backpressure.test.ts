/**
 * Nothing is lost when a consumer is slower than its producer (issue 14).
 * Every path that reads into recycled buffers runs here with a slow consumer
 * behind a fast producer, several dirty iterations, pages that name
 * themselves, and RAM compared exactly at the end:
 * - send -> proxy -> receive, the proxy's output slower than its input
 *   (one outgoing channel for two incoming, an outgoing codec that waits
 *   before every packet, two staging slots and eight packets in flight per
 *   channel, so decoded packets wait for a slot while the incoming sockets
 *   are read megabytes further), every in x out codec
 *   pair, both wire profiles;
 * - send -> receive into a slow sink: the assembler over the sockets with a
 *   codec that waits before it reads each payload (eight packets in flight
 *   per channel), and MigrationReceiver whose workers decode slowly;
 * - replay of captured streams (read from files) into a slow destination.
 * The suites run in poison mode (vitest.config.ts): a buffer is poisoned and
 * detached when recycled, so a payload read after its buffer went back fails
 * loudly, and a late read of recycled memory shows as a wrong page.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CodecRegistry, MemorySink, assembleMigration, fileChunks, type WireProfileName } from '@multifd/core';
import { IncomingMigration, MAIN_STREAM_FILE, MigrationProxy, MigrationReceiver, MigrationRelay, MigrationSender, channelStreamFile } from '@multifd/transport';
import { slowCodecs } from './fixtures/slow-codecs.mjs';
import { namedImage, pageDifferences, rewriteNamed } from './helpers.js';

const MiB = 1 << 20;
const RAM_BYTES = 12 * MiB;
const ITERATIONS = 3;
const DIRTY_PAGES = 400;
const METHODS = ['nocomp', 'zlib', 'zstd'] as const;
const PROFILES: WireProfileName[] = ['qemu-7.2', 'qemu-10'];
/** Codec modules whose sendPrepare (or recvPages) first waits 1 ms: the slow side. */
const SLOW_SEND = [new URL('./fixtures/slow-codecs.mjs?send=1', import.meta.url).href];
const SLOW_RECV = [new URL('./fixtures/slow-codecs.mjs?recv=1', import.meta.url).href];
/** Decoded packets waiting for an outgoing channel: few, so the relay's applies wait for a slot. */
const STAGING_SLOTS = 2;
/** Packets each incoming channel may have waiting: eight, so the reader runs megabytes ahead of a waiting packet. */
const RELAY_WINDOW = 8;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'multifd-backpressure-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Source {
  ram: Uint8Array;
  rom: Uint8Array;
  /** Run the migration: START, a pass over everything, ITERATIONS-1 dirty passes, END with the last dirty pages. */
  migrate(sender: MigrationSender): Promise<void>;
}

/** A guest of named pages, rewritten between passes as a running guest would. */
function source(seed: string): Source {
  const ram = namedImage(RAM_BYTES);
  const rom = namedImage(256 * 1024);
  return {
    ram,
    rom,
    async migrate(sender) {
      await sender.start();
      await sender.pass('all');
      for (let gen = 1; gen < ITERATIONS; gen++) await sender.pass(new Map([['pc.ram', rewriteNamed(ram, DIRTY_PAGES, gen, seed)]]));
      await sender.complete(new Map([['pc.ram', rewriteNamed(ram, DIRTY_PAGES, ITERATIONS, seed)]]));
    },
  };
}

const blocks = (s: Source) => [
  { name: 'pc.ram', memory: s.ram },
  { name: '/rom@etc/acpi/tables', memory: s.rom },
];

function expectSameRam(receiver: { block(name: string): Uint8Array | undefined }, s: Source): void {
  expect(pageDifferences(receiver.block('pc.ram'), s.ram)).toBe('none');
  expect(pageDifferences(receiver.block('/rom@etc/acpi/tables'), s.rom)).toBe('none');
}

describe('send -> proxy -> receive, the proxy slower out than in', () => {
  for (const profile of PROFILES) {
    for (const inMethod of METHODS) {
      for (const outMethod of METHODS) {
        it(`${profile}: ${inMethod} x2 -> proxy -> ${outMethod} x1 (slow): the destination ends with the source's RAM`, async () => {
          const s = source(`proxy/${profile}/${inMethod}/${outMethod}`);
          const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 1 });
          const dest = await receiver.listen();
          const proxy = new MigrationProxy({
            listen: '127.0.0.1:0',
            inChannels: 2,
            to: dest,
            channels: 1,
            method: outMethod,
            profile,
            codecModules: SLOW_SEND,
            stagingSlots: STAGING_SLOTS,
            window: RELAY_WINDOW,
          });
          const { port } = await proxy.listen();
          const relayed = proxy.run();
          relayed.catch(() => undefined);
          const received = receiver.done();
          received.catch(() => undefined);
          await s.migrate(new MigrationSender({ to: `127.0.0.1:${port}`, channels: 2, method: inMethod, profile, blocks: blocks(s) }));
          const [report] = await Promise.all([received, relayed]);
          expectSameRam(receiver, s);
          expect(report.epochs).toBe(ITERATIONS + 2); // START, ITERATIONS passes, END
          expect(report.ramblocks.map((b) => b.missing)).toEqual([0, 0]);
        });
      }
    }
  }
});

describe('send -> receive into a slow sink', () => {
  for (const profile of PROFILES) {
    for (const method of METHODS) {
      it(`${profile}: ${method} x2, read from the sockets, decoded by a codec that waits before reading each payload: RAM equals the source's`, async () => {
        const s = source(`sink/${profile}/${method}`);
        const registry = new CodecRegistry();
        for (const codec of slowCodecs({ recv: 1 })) registry.register(codec);
        const sink = new MemorySink();
        const incoming = new IncomingMigration({ listen: '127.0.0.1:0', channels: 2, onFailure: () => undefined });
        const { port } = await incoming.listen();
        const assembled = assembleMigration({
          main: { label: 'main stream', source: incoming.main },
          channels: incoming.channels.map((c) => ({ label: c.label, source: c })),
          registry,
          sink,
          window: 8,
        }).then(
          (report) => (incoming.acknowledge(), report),
          (e: unknown) => {
            incoming.close();
            throw e;
          },
        );
        assembled.catch(() => undefined);
        await s.migrate(new MigrationSender({ to: `127.0.0.1:${port}`, channels: 2, method, profile, blocks: blocks(s) }));
        const report = await assembled;
        expectSameRam(sink, s);
        expect(report.epochs).toBe(ITERATIONS + 2); // START, ITERATIONS passes, END
      });
    }
  }

  for (const method of METHODS) {
    it(`${method} x2 into a MigrationReceiver whose workers decode slowly: its RAM equals the source's`, async () => {
      const s = source(`receiver/${method}`);
      const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 2, codecModules: SLOW_RECV });
      const { port } = await receiver.listen();
      const received = receiver.done();
      received.catch(() => undefined);
      await s.migrate(new MigrationSender({ to: `127.0.0.1:${port}`, channels: 2, method, blocks: blocks(s) }));
      const report = await received;
      expectSameRam(receiver, s);
      expect(report.epochs).toBe(ITERATIONS + 2); // START, ITERATIONS passes, END
    });
  }
});

describe('replay of captured streams into a slow destination', () => {
  for (const profile of PROFILES) {
    for (const [inMethod, outMethod] of [['nocomp', 'zstd'], ['zlib', 'nocomp'], ['zstd', 'zlib']] as const) {
      it(`${profile}: a ${inMethod} x2 capture replayed as ${outMethod} x1 (slow) into a slow receiver: its RAM equals the source's`, async () => {
        const s = source(`replay/${profile}/${inMethod}`);
        const dir = fs.mkdtempSync(path.join(tmp, 'capture-'));
        await s.migrate(new MigrationSender({ output: { files: dir }, channels: 2, method: inMethod, profile, blocks: blocks(s) }));
        const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 1, codecModules: SLOW_RECV });
        const dest = await receiver.listen();
        const received = receiver.done();
        received.catch(() => undefined);
        const open = (file: string) => ({ label: file, source: fileChunks(path.join(dir, file)) });
        const relay = new MigrationRelay({ to: dest, channels: 1, method: outMethod, profile, codecModules: SLOW_SEND, stagingSlots: STAGING_SLOTS, window: RELAY_WINDOW });
        await relay.run({ main: open(MAIN_STREAM_FILE), channels: [open(channelStreamFile(0)), open(channelStreamFile(1))] });
        await received;
        expectSameRam(receiver, s);
      });
    }
  }
});
