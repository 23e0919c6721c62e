/**
 * `multifd send --to HOST:PORT --channels N --method M FILE|NAME=FILE...`:
 * migrate RAM images (one RAMBlock each) to `multifd receive`, in QEMU's
 * protocol: a main connection with the RAM section and N multifd channels,
 * one worker thread each.
 */
import { resolve } from 'node:path';
import { MigrationSender, type TransferProgress } from '@multifd/transport';
import { booleanOption, channelsOption, integerOption, requiredOption, stringOption, usageError, uuidOption } from '../args.js';
import { PROFILE_OPTION, createRegistry, levelHelp, levelOption, methodOption, profileOption, zlibBackendOption } from '../codecs.js';
import { defineCommand } from '../command.js';
import { dirtyPages, saveFinal, withOverlays } from '../dirty-pages.js';
import { checkOutputDir } from '../output-paths.js';
import { ramImageBlocks } from '../ram-images.js';
import { makeTempDir, removeTempDir } from '../temp-dirs.js';
import { createTransferBar } from '../transfer-progress.js';
import { tlsClientOptionTable, tlsClientOptions } from '../tls-options.js';

export const sendCommand = defineCommand({
  name: 'send',
  summary: 'migrate RAM images (one RAMBlock per file) to `multifd receive`',
  usage: '--to HOST:PORT --channels N --method M [--level L] [--iterations K] [--dirty F] [--save-final DIR] [--tls-ca FILE [--tls-cert FILE --tls-key FILE] [--tls-hostname NAME]] [--json] FILE|NAME=FILE...',
  description: `
Each FILE (a multiple of 4096 bytes) becomes one RAMBlock, named NAME or the
file name without .bin. The first iteration sends every page: all-zero pages
as main-stream ZERO records, the others in packets of up to 128 pages over
the channels. With --iterations K > 1, before each further iteration a
fraction F (default 0.02) of every block's pages is rewritten in memory, as
a running guest would, and exactly those pages are sent again; the last
iteration ends the migration. --save-final writes the blocks as they were at
the end, to compare with what the receiver wrote.

Memory and disk: the channel workers read the images as they go (a 4 MiB
window each), so an image of any size needs about 150 MiB; the images are
never written: with --iterations K > 1 the rewritten pages go to an overlay
file in the temp folder (sparse: only those pages take space).

TLS (--tls-ca turns it on): the main connection and every channel do their
own handshake; the receiver's certificate must chain to --tls-ca and carry
the host of --to (or --tls-hostname). --tls-cert/--tls-key present our
client certificate to a receiver that verifies peers.`,
  options: {
    to: { type: 'string', short: 't', valueName: 'HOST:PORT', description: 'where `multifd receive` (or a QEMU destination) listens' },
    channels: { type: 'string', short: 'c', valueName: 'N', description: 'number of multifd channels (1-255)' },
    method: { type: 'string', short: 'm', valueName: 'M', description: 'compression: nocomp|none, zlib, zstd (or a registered value 0-7)' },
    level: { type: 'string', valueName: 'L', description: levelHelp() },
    iterations: { type: 'string', valueName: 'K', description: 'passes over memory (default 1)' },
    dirty: { type: 'string', valueName: 'F', description: 'fraction of pages rewritten before each pass after the first (default 0.02)' },
    'save-final': { type: 'string', valueName: 'DIR', description: 'write the final RAM images to DIR/<block>.bin' },
    uuid: { type: 'string', valueName: 'U', description: 'VM uuid for the initial packets (default all zero)' },
    'zlib-backend': { type: 'string', valueName: 'B', description: 'zlib implementation: node (default, native) or pako' },
    profile: PROFILE_OPTION,
    ...tlsClientOptionTable(''),
    json: { type: 'boolean', description: 'print a JSON summary on stdout' },
  },

  async run({ values, positionals }, io) {
    if (positionals.length === 0) throw usageError("send: no FILE given (see 'multifd send --help')");
    const cwd = io.cwd ?? process.cwd();
    const to = requiredOption(values, 'to', 'send');
    const channels = channelsOption(values, 'channels', 'send');
    const method = methodOption(createRegistry(), '--method', requiredOption(values, 'method', 'send'));
    const level = levelOption(values, 'level', method);
    const iterations = integerOption(values, 'iterations', { min: 1, max: 1000 }, 1)!;
    const dirtyText = stringOption(values, 'dirty') ?? '0.02';
    const dirty = Number(dirtyText);
    if (!(dirty >= 0 && dirty <= 1)) throw usageError(`--dirty ${dirtyText}: expected a fraction from 0 to 1`);
    const uuid = uuidOption(values);
    const backend = zlibBackendOption(values);
    const tls = tlsClientOptions(values, 'send', '', cwd);

    const finalDir = stringOption(values, 'save-final');
    if (finalDir !== undefined) checkOutputDir(resolve(cwd, finalDir), '--save-final');

    const images = ramImageBlocks(positionals, cwd);
    // Rewritten pages of later iterations go to overlay files; the images are never written.
    const work = iterations > 1 ? await makeTempDir('multifd-send-') : undefined;
    const blocks = work !== undefined ? withOverlays(images, work) : images;
    const sender = new MigrationSender({
      to,
      channels,
      method: method.value,
      blocks,
      ...(level !== undefined ? { level } : {}),
      ...(uuid ? { uuid } : {}),
      ...(tls ? { tls } : {}),
      codecOptions: { backend },
      profile: profileOption(values),
    });
    const bar = createTransferBar(io.stderr, 'send');
    sender.on('progress', (p) => bar.update(p));
    const onAbort = () => void sender.abort(io.signal?.reason);
    io.signal?.addEventListener('abort', onAbort, { once: true });
    let result: TransferProgress;
    let cpu = process.cpuUsage();
    try {
      // Threads and codecs first: the migration's time starts at the first connection, as QEMU's total-time does.
      await sender.prepare();
      cpu = process.cpuUsage();
      await sender.start();
      if (iterations === 1) {
        result = await sender.complete('all');
      } else {
        await sender.pass('all');
        for (let i = 2; i < iterations; i++) await sender.pass(dirtyPages(sender.blocks, dirty, i));
        result = await sender.complete(dirtyPages(sender.blocks, dirty, iterations));
      }
      if (finalDir !== undefined) saveFinal(sender.blocks, resolve(cwd, finalDir));
    } finally {
      bar.done();
      io.signal?.removeEventListener('abort', onAbort);
      if (work !== undefined) await removeTempDir(work);
    }
    const seconds = result.elapsedMs / 1000;
    const used = process.cpuUsage(cpu);
    const summary = {
      method: method.name,
      channels,
      iterations,
      pages: result.pages,
      /** Of those, all-zero pages (main-stream records, or listed in packets under qemu-10). */
      zeroPages: result.zeroPages ?? 0,
      ramBytes: result.ramBytes,
      wireBytes: result.wireBytes,
      seconds,
      mbps: result.mbps,
      /** CPU time of this process, all threads, over the migration (thread start-up excluded, like `seconds`). */
      cpuSeconds: (used.user + used.system) / 1e6,
      perChannel: result.channels,
      /** Peak resident memory of this process (the channel workers read the images in windows). */
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
    io.stdout.write(
      booleanOption(values, 'json')
        ? `${JSON.stringify(summary, null, 2)}\n`
        : `sent ${method.name}: ${channels} channel${channels === 1 ? '' : 's'}, ${iterations} iteration${iterations === 1 ? '' : 's'}, ${result.pages} pages, ${(result.wireBytes / 1e6).toFixed(2)} MB on the wire in ${seconds.toFixed(2)} s (${result.mbps.toFixed(1)} MB/s of RAM)\n`,
    );
    return 0;
  },
});
