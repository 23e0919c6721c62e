/**
 * `multifd replay --to HOST:PORT --channels M --method X FILE...`: stream a
 * captured migration into a destination (QEMU -incoming, or multifd
 * receive), forwarding the main stream as captured and re-encoding the
 * channels with another codec and channel count.
 */
import { MigrationRelay } from '@multifd/transport';
import { booleanOption, usageError } from '../args.js';
import { defineCommand } from '../command.js';
import { openMigrationFiles } from '../stream-files.js';
import { createTransferBar } from '../transfer-progress.js';
import { relayOptionTable, relayOptions, relaySummary } from './relay-options.js';

export const replayCommand = defineCommand({
  name: 'replay',
  summary: 'stream a captured migration into a destination, re-encoding the channels',
  usage: '--to HOST:PORT --channels M --method X [--level L] [--uuid U] [--tls-ca FILE [--tls-cert FILE --tls-key FILE] [--tls-hostname NAME]] [--json] FILE...',
  description: `
FILEs are the connection streams of one captured migration (as decode takes
them): the main stream is sent first and byte for byte (the destination takes
its first connection as the main stream), then M channels carry the pages of
the captured channels, decoded and encoded again with method X. Each epoch's
pages precede that epoch's SYNC on every outgoing channel. Set the
destination's multifd-channels to M and multifd-compression to X.

TLS (--tls-ca turns it on), as a QEMU source with tls-creds: every
connection does its own handshake; the destination's certificate must chain
to --tls-ca and carry the host of --to (or --tls-hostname); --tls-cert and
--tls-key are our client certificate for a destination with verify-peer=on.`,
  options: relayOptionTable(''),

  async run({ values, positionals }, io) {
    if (positionals.length === 0) throw usageError("replay: no FILE given (see 'multifd replay --help')");
    const options = relayOptions(values, 'replay', '', {}, io.cwd ?? process.cwd());
    const files = await openMigrationFiles(positionals, io.cwd ?? process.cwd());
    if (!files.main) throw usageError('replay: no main stream among the FILEs (the destination needs one)');
    const relay = new MigrationRelay(options);
    const bar = createTransferBar(io.stderr, 'replay');
    relay.on('progress', (p) => bar.update(p));
    const onAbort = () => relay.abort(io.signal?.reason);
    io.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const report = await relay.run({ main: files.main.input, channels: files.channels.map((f) => f.input) });
      bar.done();
      io.stdout.write(relaySummary('replayed', report, String(values['method']), booleanOption(values, 'json')));
      return 0;
    } finally {
      bar.done();
      io.signal?.removeEventListener('abort', onAbort);
      await Promise.all([files.main, ...files.channels].map((f) => f?.close()));
    }
  },
});
