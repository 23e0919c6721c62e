/**
 * `multifd proxy --listen HOST:PORT --to HOST:PORT --channels N [--out-channels M]
 * [--out-method X] [--out-level L]`: sit between a QEMU source and a QEMU
 * destination, forward the main stream as it is and re-encode the multifd
 * pages with another channel count and codec (e.g. nocomp on the local hops,
 * zstd across the slow link).
 */
import { MigrationProxy } from '@multifd/transport';
import { booleanOption, channelsOption, requiredOption, stringOption, usageError } from '../args.js';
import { createRegistry, methodOption } from '../codecs.js';
import { defineCommand } from '../command.js';
import { createTransferBar } from '../transfer-progress.js';
import { relayOptionTable, relayOptions, relaySummary } from './relay-options.js';
import { tlsServerOptionTable, tlsServerOptions } from '../tls-options.js';

export const proxyCommand = defineCommand({
  name: 'proxy',
  summary: 'relay a live migration from a QEMU source to a destination, re-encoding the channels',
  usage: '--listen HOST:PORT --to HOST:PORT --channels N [--out-channels M] [--out-method X] [--out-level L] [--tls-cert FILE --tls-key FILE [--tls-ca FILE --tls-verify-peer] [--tls-authz NAME]] [--out-tls-ca FILE [--out-tls-cert FILE --out-tls-key FILE] [--out-tls-hostname NAME]] [--json]',
  description: `
Accepts the source's main connection and N channels (the source's
multifd-channels), connects to the destination (main first) when the source
connects (retrying for 10 s while the destination refuses), forwards the
main stream byte for byte and re-encodes the pages onto M channels with
method X (default: the same count, and the incoming method). Each epoch's
pages precede that epoch's SYNC on every outgoing channel, so the
destination's syncs stay in step with the main stream. Any error on either
side drops every connection on both sides.

TLS is set for each side on its own. Incoming, as a destination with
tls-creds (see 'multifd receive --help'): --tls-cert/--tls-key, and
--tls-ca with --tls-verify-peer or --tls-authz to check the source's client
certificate. Outgoing, as a source with tls-creds: --out-tls-ca turns it on
and checks the destination's certificate against the host of --to (or
--out-tls-hostname); --out-tls-cert/--out-tls-key are our client
certificate. To use one set for both sides, give the same files to both
(the certificate must then allow serverAuth and clientAuth).`,
  options: {
    listen: { type: 'string', short: 'l', valueName: 'HOST:PORT', description: 'where the source connects (port 0: any; printed on stderr)' },
    channels: { type: 'string', short: 'c', valueName: 'N', description: "incoming channels (the source's multifd-channels)" },
    'in-method': { type: 'string', valueName: 'M', description: 'expect this incoming method (default: from the packets)' },
    ...tlsServerOptionTable(),
    ...relayOptionTable('out-'),
  },

  async run({ values, positionals }, io) {
    if (positionals.length > 0) throw usageError(`proxy: unexpected argument ${JSON.stringify(positionals[0])}`);
    const listen = requiredOption(values, 'listen', 'proxy');
    const inChannels = channelsOption(values, 'channels', 'proxy');
    const inMethodText = stringOption(values, 'in-method');
    const inMethod = inMethodText !== undefined ? methodOption(createRegistry(), '--in-method', inMethodText).name : undefined;
    const cwd = io.cwd ?? process.cwd();
    const options = relayOptions(values, 'proxy', 'out-', { channels: inChannels, ...(inMethod ? { method: inMethod } : {}) }, cwd);
    const inTls = tlsServerOptions(values, 'proxy', cwd);
    if (stringOption(values, 'out-method') === undefined && inMethod === undefined) {
      throw usageError('proxy: give --out-method (or --in-method, reused for the outgoing side)');
    }
    const proxy = new MigrationProxy({ ...options, ...(inMethod ? { inMethod } : {}), listen, inChannels, ...(inTls ? { inTls } : {}) });
    const bar = createTransferBar(io.stderr, 'proxy');
    proxy.on('progress', (p) => bar.update(p));
    const onAbort = () => proxy.abort(io.signal?.reason ?? 'interrupted');
    io.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const address = await proxy.listen();
      io.stderr.write(`multifd: listening on ${address.host}:${address.port}\n`);
      const report = await proxy.run();
      bar.done();
      io.stdout.write(relaySummary('proxied', report, String(values['out-method'] ?? inMethod), booleanOption(values, 'json')));
      return 0;
    } finally {
      bar.done();
      io.signal?.removeEventListener('abort', onAbort);
    }
  },
});
