#!/usr/bin/env node
/**
 * `npm run bench:large`: real-size guests in bounded memory (issue 16).
 *
 * - compare of a 16 GiB sparse image holding 2 GiB of guest-like pages
 *   (32 x 64 MiB, spread evenly): wall time and peak RSS;
 * - send of that image -> receive --out (files): time and peak RSS of each;
 * - a QEMU 7.2 source with an 8 GiB paused guest (the same 64 MiB of pages
 *   loaded 8 times) -> receive --out: peak RSS of receive.
 *
 * Each command runs as its own process through the CLI's main() and reports
 * the peak RSS of that process. Options: --size-gib N (16) --content-gib N (2)
 * --guest-gib N (8) --skip-qemu --methods LIST (zstd) --channels N (2).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_MIX, cliMainBody, configureMultifd, killAllQemu, migrate, mixedPages, runWithPeakRss, startQemu, waitForMigration, type MeasuredRun } from '@multifd/qemu-harness';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const CHUNK_MIB = 64;
const CLI_DIST = fileURLToPath(new URL('../../cli/dist', import.meta.url));

interface Options {
  sizeGiB: number;
  contentGiB: number;
  guestGiB: number;
  skipQemu: boolean;
  methods: string;
  channels: number;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { sizeGiB: 16, contentGiB: 2, guestGiB: 8, skipQemu: false, methods: 'zstd', channels: 2 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => argv[++i] ?? '';
    if (a === '--size-gib') o.sizeGiB = Number(next());
    else if (a === '--content-gib') o.contentGiB = Number(next());
    else if (a === '--guest-gib') o.guestGiB = Number(next());
    else if (a === '--skip-qemu') o.skipQemu = true;
    else if (a === '--methods') o.methods = next();
    else if (a === '--channels') o.channels = Number(next());
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

type Run = MeasuredRun & { peakRssMiB: number };

/** `multifd <args>` in its own process; `onStderr` sees its stderr as it comes. */
async function multifd(args: string[], onStderr?: (text: string) => void): Promise<Run> {
  const r = await runWithPeakRss(cliMainBody(CLI_DIST, args), onStderr);
  return { ...r, peakRssMiB: r.peakRssBytes / MiB };
}

function ok(what: string, r: Run): Run {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr.trim().split('\n').pop()}`);
  return r;
}

/** A receive on a free port; resolves with its port and the promise of its run. */
async function receive(out: string, channels: number, method?: string): Promise<{ port: number; done: Promise<Run> }> {
  let found!: (port: number) => void;
  const port = new Promise<number>((resolve) => (found = resolve));
  const done = multifd(['receive', '--listen', '127.0.0.1:0', '--channels', String(channels), '--out', out, ...(method ? ['--method', method] : [])], (text) => {
    const m = /listening on [^\s]+:(\d+)/.exec(text);
    if (m) found(Number(m[1]));
  });
  return { port: await Promise.race([port, done.then((r) => Promise.reject(new Error(`receive ended: ${r.stderr}`)))]), done };
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'multifd-bench-large-'));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const results: Record<string, unknown> = { sizeGiB: o.sizeGiB, contentGiB: o.contentGiB, channels: o.channels, methods: o.methods };
  try {
    const chunk = mixedPages(CHUNK_MIB * MiB, 'bench-large', BENCH_MIX).bytes;
    const image = path.join(work, 'ram.bin');
    const copies = Math.round((o.contentGiB * GiB) / (CHUNK_MIB * MiB));
    const stride = Math.floor((o.sizeGiB * GiB) / copies / MiB) * MiB;
    const fd = fs.openSync(image, 'w');
    fs.ftruncateSync(fd, o.sizeGiB * GiB);
    for (let i = 0; i < copies; i++) fs.writeSync(fd, chunk, 0, chunk.length, i * stride);
    fs.closeSync(fd);
    log(`image: ${o.sizeGiB} GiB sparse, ${copies} x ${CHUNK_MIB} MiB of guest-like pages every ${stride / MiB} MiB`);

    const compare = ok('compare', await multifd(['compare', '--methods', o.methods, '--channels', String(o.channels), '--profiles', 'qemu-7.2', '--json', `pc.ram=${image}`]));
    const rows = (JSON.parse(compare.stdout) as { rows: { method: string; ratio: number; compress: { mbps: number }; decompress: { mbps: number }; decompressFrom: string }[] }).rows;
    results['compare'] = { seconds: compare.seconds, peakRssMiB: compare.peakRssMiB, rows: rows.map((r) => ({ method: r.method, ratio: r.ratio, compressMBps: r.compress.mbps, decompressMBps: r.decompress.mbps, decompressFrom: r.decompressFrom })) };
    log(`compare: ${compare.seconds.toFixed(1)} s, peak RSS ${compare.peakRssMiB.toFixed(0)} MiB`);

    const out = path.join(work, 'out');
    const rx = await receive(out, o.channels);
    const send = ok('send', await multifd(['send', '--to', `127.0.0.1:${rx.port}`, '--channels', String(o.channels), '--method', o.methods.split(',')[0]!, '--json', `pc.ram=${image}`]));
    const received = ok('receive', await rx.done);
    const sent = JSON.parse(send.stdout) as { seconds: number };
    results['sendReceive'] = { sendSeconds: sent.seconds, sendPeakRssMiB: send.peakRssMiB, receivePeakRssMiB: received.peakRssMiB };
    log(`send -> receive: ${sent.seconds.toFixed(1)} s, peak RSS send ${send.peakRssMiB.toFixed(0)} MiB, receive ${received.peakRssMiB.toFixed(0)} MiB`);
    fs.rmSync(out, { recursive: true, force: true });

    if (!o.skipQemu) {
      const blob = path.join(work, 'blob.bin');
      fs.writeFileSync(blob, chunk);
      const guest = o.guestGiB * 1024;
      // Content below 3 GiB (pc.ram's low part): 8 copies spread over it.
      const loaders = Array.from({ length: 8 }, (_, i) => ({ file: blob, addr: 0x10000000 + i * 0x10000000 }));
      const source = await startQemu({ name: 'source', memoryMiB: guest, loaders });
      try {
        await configureMultifd(source, { channels: o.channels, compression: 'none' });
        const qrx = await receive(path.join(work, 'qemu-out'), o.channels);
        await migrate(source, `tcp:127.0.0.1:${qrx.port}`);
        const info = await waitForMigration(source, { timeoutMs: 600_000 });
        const r = ok('receive from QEMU', await qrx.done);
        results['qemuReceive'] = { guestGiB: o.guestGiB, migrationMs: Number(info['total-time']), receivePeakRssMiB: r.peakRssMiB };
        log(`QEMU 7.2 ${o.guestGiB} GiB guest -> receive: ${info['total-time']} ms, receive peak RSS ${r.peakRssMiB.toFixed(0)} MiB`);
      } finally {
        await source.kill();
      }
    }
    console.log(JSON.stringify(results, null, 2));
  } finally {
    await killAllQemu();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch(async (e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  await killAllQemu();
  process.exitCode = 1;
});
