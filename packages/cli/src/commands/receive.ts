/**
 * `multifd receive --listen HOST:PORT --channels N --out DIR`: accept one
 * migration (from QEMU or `multifd send`) and write it like `decode` does:
 * one sparse file per RAMBlock, index.json last, and the main stream as
 * DIR/main.bin. Exits 0 only when every page and every sync arrived.
 */
import { basename, join, resolve } from 'node:path';
import { MAIN_STREAM_FILE, MigrationReceiver } from '@multifd/transport';
import { booleanOption, channelsOption, integerOption, requiredOption, stringOption, usageError, uuidOption } from '../args.js';
import { prepareOutputDir, writeFileAtomic } from '../atomic-file.js';
import { createRegistry, methodOption, zlibBackendOption } from '../codecs.js';
import { defineCommand } from '../command.js';
import { buildIndex, summaryLine } from '../decode-index.js';
import { createTransferBar } from '../transfer-progress.js';
import { tlsServerOptionTable, tlsServerOptions } from '../tls-options.js';
import { INDEX_FILE } from './decode.js';

export const receiveCommand = defineCommand({
  name: 'receive',
  summary: 'accept a migration from QEMU or `multifd send` and write its RAM like decode',
  usage: '--listen HOST:PORT --channels N --out DIR [--method M] [--uuid U] [--tls-cert FILE --tls-key FILE [--tls-ca FILE --tls-verify-peer] [--tls-authz NAME]] [--json]',
  description: `
Listens for one migration: the main connection and N multifd channels, told
apart by their first bytes. Every initial packet is checked (magic, version,
uuid, channel id), every packet decoded by its channel's worker thread and
applied epoch by epoch. DIR gets one file per RAMBlock, index.json (as
decode writes it, last and only on success) and main.bin, the main stream
as received. Exits 0 when the migration is complete, 1 on any error (every
connection is then dropped at once, so the sender stops too).

Memory and disk: about 130 MiB plus 8 MiB per channel, whatever the RAM
size; the RAMBlock files are sparse (only pages that hold data take space).

TLS, as a QEMU destination with tls-creds-x509: with --tls-cert and
--tls-key every connection (the main one and each channel) must do its own
TLS handshake. --tls-verify-peer (QEMU verify-peer=on) demands a client
certificate signed by --tls-ca; --tls-authz also limits the accepted
subjects (QEMU tls-authz). A client refused at the handshake (no, a
self-signed or another CA's certificate) or not allowed ends the migration
with ERR_MULTIFD_TLS. For a QEMU source: -object tls-creds-x509,id=tls0,
dir=DIR,endpoint=client (DIR holding ca-cert.pem, client-cert.pem,
client-key.pem) and migrate-set-parameters tls-creds=tls0; QEMU checks our
certificate against the host of its migrate URI (or tls-hostname). We speak
TLS 1.2: QEMU never reads what a TLS 1.3 server sends after the handshake.`,
  options: {
    listen: { type: 'string', short: 'l', valueName: 'HOST:PORT', description: 'address to listen on (port 0: any; the address is printed on stderr)' },
    channels: { type: 'string', short: 'c', valueName: 'N', description: 'number of multifd channels (1-255)' },
    out: { type: 'string', short: 'o', valueName: 'DIR', description: 'directory for the RAMBlock files, index.json and main.bin' },
    method: { type: 'string', valueName: 'M', description: 'expect this method (nocomp|none, zlib, zstd, 0-7); default: from the packets' },
    uuid: { type: 'string', valueName: 'U', description: "our VM uuid, which every channel must carry (default all zero, as QEMU without -uuid)" },
    'idle-timeout': { type: 'string', valueName: 'MS', description: 'fail when a connection is silent this long (default 30000)' },
    'handshake-timeout': { type: 'string', valueName: 'MS', description: 'fail when the connections are not all there this long after the first (default 10000)' },
    'zlib-backend': { type: 'string', valueName: 'B', description: 'zlib implementation: node (default, native) or pako' },
    ...tlsServerOptionTable(),
    json: { type: 'boolean', description: 'print the index on stdout instead of the summary' },
  },

  async run({ values, positionals }, io) {
    if (positionals.length > 0) throw usageError(`receive: unexpected argument ${JSON.stringify(positionals[0])}`);
    const cwd = io.cwd ?? process.cwd();
    const listen = requiredOption(values, 'listen', 'receive');
    const channels = channelsOption(values, 'channels', 'receive');
    const outDir = resolve(cwd, requiredOption(values, 'out', 'receive'));
    const methodName = stringOption(values, 'method');
    const method = methodName !== undefined ? methodOption(createRegistry(), '--method', methodName) : undefined;
    const uuid = uuidOption(values);
    const idle = integerOption(values, 'idle-timeout', { min: 0, max: 86_400_000 });
    const handshake = integerOption(values, 'handshake-timeout', { min: 1, max: 86_400_000 });
    const backend = zlibBackendOption(values);
    const tls = tlsServerOptions(values, 'receive', cwd);

    await prepareOutputDir(outDir, INDEX_FILE);
    const receiver = new MigrationReceiver({
      listen,
      channels,
      out: outDir,
      mainStreamFile: join(outDir, MAIN_STREAM_FILE),
      ...(method ? { method: method.value } : {}),
      ...(uuid ? { uuid } : {}),
      ...(idle !== undefined ? { idleTimeoutMs: idle } : {}),
      ...(handshake !== undefined ? { handshakeTimeoutMs: handshake } : {}),
      ...(tls ? { tls } : {}),
      codecOptions: { backend },
    });
    const bar = createTransferBar(io.stderr, 'receive');
    receiver.on('progress', (p) => bar.update(p));
    const onAbort = () => void receiver.abort(io.signal?.reason);
    io.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const address = await receiver.listen();
      io.stderr.write(`multifd: listening on ${address.host}:${address.port}\n`);
      const report = await receiver.done();
      bar.done();
      const files = new Map(Object.entries(report.files ?? {}).map(([name, file]) => [name, basename(file)]));
      const index = {
        ...buildIndex(report, files, report.elapsedMs / 1000),
        mainStreamFile: MAIN_STREAM_FILE,
        wireBytes: report.wireBytes,
        peakRssBytes: process.resourceUsage().maxRSS * 1024,
      };
      await writeFileAtomic(join(outDir, INDEX_FILE), `${JSON.stringify(index, null, 2)}\n`);
      io.stdout.write(booleanOption(values, 'json') ? `${JSON.stringify(index, null, 2)}\n` : `${summaryLine(index, outDir).replace(/^decoded/, 'received')}\n`);
      return 0;
    } finally {
      bar.done();
      io.signal?.removeEventListener('abort', onAbort);
      await receiver.abort().catch(() => undefined);
    }
  },
});
