/**
 * The receiver fed through real sockets: MigrationReceiver (a TCP listener,
 * one worker thread per channel) on 127.0.0.1, given a small migration with
 * one of the fuzzer's mutations, its connections opened in any order and
 * their bytes written in random chunks. Whatever the input, it must end
 * within a time bound with a typed error or a bit-exact result, reject what
 * must be rejected, and leave no socket or listener open.
 */
import * as net from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MultifdError, NIL_UUID, QEMU_10, QEMU_7_2 } from '@multifd/core';
import { MigrationReceiver } from '@multifd/transport';
import { CHANNEL_MUTATORS, Rng, Scratch, caseOf, channelParts, chunkStream, codecSetup, expectedPages, mutate, syntheticSeed, writeSynthetic } from '../src/index.js';

const RUNS = Number(process.env['FC_RECEIVER_RUNS'] ?? 24);
const BOUND_MS = 20_000;

/** TCP handles (sockets, listeners) this process has open. */
function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

async function send(port: number, streams: Uint8Array[][], order: number[]): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (const i of order) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => undefined); // the receiver may drop us mid-write: that is its right
    s.on('data', () => undefined);
    sockets.push(s);
    await new Promise<void>((resolve) => {
      s.once('connect', resolve);
      s.once('close', resolve);
    });
    for (const chunk of streams[i]!) if (!s.destroyed) s.write(chunk);
    if (!s.destroyed) s.end();
  }
  return sockets;
}

const closed = (s: net.Socket) => (s.destroyed ? Promise.resolve() : new Promise<void>((resolve) => s.once('close', () => resolve())));

describe('MigrationReceiver over 127.0.0.1', () => {
  it('always ends, in time, with a typed error or a bit-exact migration, and closes every socket', async () => {
    const baseline = tcpHandles();
    const seen = { ok: 0, error: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('nocomp' as const, 'zlib-node' as const, 'zstd' as const),
        fc.constantFrom(QEMU_7_2, QEMU_10),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.boolean(),
        async (name, profile, channels, seed, pinMethod) => {
          const setup = await codecSetup(name);
          const label = `receiver/${name}/${profile.name}/${channels}/${seed % 4}`;
          const s = await syntheticSeed({ codec: setup.codec, profile, channels, ramPages: 8, label });
          const { blocks } = await writeSynthetic({ codec: setup.codec, profile, channels, ramPages: 8, label });
          const rng = new Rng(seed);
          const c = caseOf(s, rng, 1 << 24);
          // What the receiver is told: our uuid (nil), the channel count, maybe the method.
          c.useMain = true;
          c.uuid = NIL_UUID;
          c.channelCount = channels;
          c.method = pinMethod ? setup.codec.value : undefined;
          mutate(c, rng, setup.traits, CHANNEL_MUTATORS, rng.chance(0.15) ? 0 : undefined);
          if (c.ops === 0) c.expect = { mustSucceed: 'unchanged input' };
          const scratch = new Scratch();
          const streams = [chunkStream([c.main], rng, scratch, 0).map((b) => b.slice()), ...c.channels.map((ch, i) => chunkStream(channelParts(ch), rng, scratch, i + 1).map((b) => b.slice()))];
          const order = rng.shuffle(streams.map((_, i) => i));

          const receiver = new MigrationReceiver({
            listen: '127.0.0.1:0',
            channels,
            codecOptions: { backend: 'node' },
            ...(pinMethod ? { method: setup.codec.name } : {}),
            handshakeTimeoutMs: 3000,
            idleTimeoutMs: 3000,
          });
          const { port } = await receiver.listen();
          const t0 = Date.now();
          const sockets = await send(port, streams, order);
          let timer: NodeJS.Timeout | undefined;
          const outcome = await Promise.race([
            receiver.done().then(
              (report) => ({ ok: true as const, report }),
              (error: unknown) => ({ ok: false as const, error }),
            ),
            new Promise<'timeout'>((resolve) => {
              timer = setTimeout(() => resolve('timeout'), BOUND_MS);
            }),
          ]);
          clearTimeout(timer);
          const what = `${label} seed ${seed}: ${c.notes.join('; ') || 'no mutation'}`;
          if (outcome === 'timeout') await receiver.abort(new MultifdError('ERR_MULTIFD_TIMEOUT', 'test bound'));
          expect(outcome, `no result within ${BOUND_MS} ms (${what})`).not.toBe('timeout');
          if (outcome === 'timeout') return;
          seen[outcome.ok ? 'ok' : 'error']++;
          if (!outcome.ok) {
            expect(MultifdError.is(outcome.error), `untyped ${String(outcome.error)} (${what})`).toBe(true);
            expect(c.expect.mustSucceed, `refused (${(outcome.error as MultifdError).code}: ${(outcome.error as Error).message}) an input it must accept (${what})`).toBeUndefined();
          } else {
            expect(c.expect.mustFail, `accepted an input it must refuse (${what})`).toBeUndefined();
            const pages = outcome.report.ramblocks.reduce((n, b) => n + b.pages, 0);
            if (c.expect.loss) expect(pages, `reports every page although ${c.expect.loss} (${what})`).toBeLessThan(expectedPages(c));
            if (c.expect.mustSucceed && !c.expect.pagesMayChange && c.ops === 0) {
              for (const b of blocks) expect(Buffer.from(receiver.block(b.name)!).equals(Buffer.from(b.memory)), `${b.name} differs (${what})`).toBe(true);
            }
          }
          expect(Date.now() - t0).toBeLessThan(BOUND_MS);
          // Every connection is closed by the receiver, and nobody listens any more.
          await Promise.race([Promise.all(sockets.map(closed)), new Promise((r) => setTimeout(r, 5000))]);
          for (const sock of sockets) sock.destroy();
          expect(sockets.every((sock) => sock.destroyed)).toBe(true);
          expect(await refused(port)).toBe(true);
        },
      ),
      { numRuns: RUNS, endOnFailure: true },
    );
    // Both outcomes happened: the inputs reach the decoders and are not all rejected at the door.
    expect(seen.ok).toBeGreaterThan(0);
    expect(seen.error).toBeGreaterThan(0);
    // Give handles a moment to be released, then count them: nothing left open.
    for (let i = 0; i < 50 && tcpHandles() > baseline; i++) await new Promise((r) => setTimeout(r, 100));
    expect(tcpHandles()).toBe(baseline);
  });
});
