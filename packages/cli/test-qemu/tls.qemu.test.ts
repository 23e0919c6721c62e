/**
 * QEMU 7.2 source with tls-creds-x509 (endpoint=client, verify-peer=on) ->
 * `multifd receive --tls-cert --tls-key --tls-ca --tls-verify-peer`: the main
 * connection and every multifd channel do their own TLS handshake with
 * client certificates, and the received pc.ram must equal the source's
 * memory. A QEMU without a valid client certificate is refused by receive
 * (exit 1, ERR_MULTIFD_TLS) and its migration fails; QEMU checks our
 * certificate against the host of the migrate URI, or tls-hostname. The
 * certificates are made by the openssl command for this file only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  QemuHarnessError,
  configureMultifd,
  makeTestPki,
  migrate,
  qemuTlsDir,
  setMigrationParameters,
  startQemu,
  waitForMigration,
  type CertFiles,
  type MultifdCompression,
  type QemuVm,
  type TestPki,
} from '@multifd/qemu-harness';
import { expectCliSuccess, startCli, type CliProcess } from './cli-process.js';
import {
  BLOB_ADDR,
  DEV_BLOB,
  GUEST_BYTES,
  METHOD,
  blockFile,
  cleanupAfterEach,
  describePages,
  dumpGuest,
  pcRamDifferences,
  readJson,
  requireQemu72,
  tempDir,
  type ReceiveIndex,
} from './helpers.js';

requireQemu72();
cleanupAfterEach();

let pki: TestPki;
let pkiDir: string;

beforeAll(async () => {
  pkiDir = fs.mkdtempSync(path.join(os.tmpdir(), 'multifd-qemu-tls-'));
  pki = await makeTestPki(pkiDir);
}, 60_000);

afterAll(() => fs.rmSync(pkiDir, { recursive: true, force: true }));

interface SourceTls {
  /** The certificate QEMU presents (client-cert.pem / client-key.pem); none: QEMU has no client certificate. */
  own?: CertFiles;
  /** tls-creds-x509 sanity-check=off: QEMU loads a certificate its own CA did not sign. */
  noSanityCheck?: boolean;
  /** The migrate parameter tls-hostname. */
  hostname?: string;
}

/** `multifd receive` over TLS, demanding client certificates. */
function startReceiver(channels: number, method: string, out: string): CliProcess {
  return startCli([
    'receive',
    '--listen',
    '127.0.0.1:0',
    '--channels',
    String(channels),
    '--method',
    method,
    '--out',
    out,
    '--tls-cert',
    pki.server.cert,
    '--tls-key',
    pki.server.key,
    '--tls-ca',
    pki.ca,
    '--tls-verify-peer',
  ]);
}

/** A paused QEMU 7.2 source with tls-creds-x509 tls0 (endpoint client, verify-peer on) and migrate parameter tls-creds=tls0. */
async function startSource(dir: string, channels: number, compression: MultifdCompression, t: SourceTls): Promise<QemuVm> {
  const creds = qemuTlsDir(path.join(dir, 'qemu-tls'), { endpoint: 'client', ca: pki.ca, ...(t.own ? { own: t.own } : {}) });
  const object = `tls-creds-x509,id=tls0,dir=${creds},endpoint=client,verify-peer=on${t.noSanityCheck ? ',sanity-check=off' : ''}`;
  const source = await startQemu({ name: 'source', loaders: [{ file: DEV_BLOB, addr: BLOB_ADDR }], extraArgs: ['-object', object] });
  await configureMultifd(source, { channels, compression });
  await setMigrationParameters(source, { 'tls-creds': 'tls0', ...(t.hostname !== undefined ? { 'tls-hostname': t.hostname } : {}) });
  return source;
}

/** Migrate a TLS source into receive; both must succeed and pc.ram must equal the source's memory. */
async function migrateOk(compression: MultifdCompression, channels: number, t: SourceTls): Promise<void> {
  const dir = tempDir();
  const out = path.join(dir, 'out');
  const method = METHOD[compression];
  const receive = startReceiver(channels, method, out);
  const source = await startSource(dir, channels, compression, t);
  const expected = await dumpGuest(source, dir, 'source'); // paused (-S): nothing changes it
  const port = await receive.listening();

  await migrate(source, `tcp:127.0.0.1:${port}`);
  const info = await waitForMigration(source, { timeoutMs: 30_000 });
  expect(info.status).toBe('completed');
  const result = await expectCliSuccess(receive, 20_000);
  expect(result.stdout).toMatch(new RegExp(`^received ${method}: ${channels} channels?, \\d+ epochs`));
  expect(source.stderr()).toBe('');

  const index = readJson<ReceiveIndex>(path.join(out, 'index.json'));
  expect(index.method).toBe(method);
  expect(index.channels.map((c) => c.id)).toEqual([...Array(channels).keys()]);
  expect(index.channels.reduce((sum, c) => sum + c.pages, 0)).toBeGreaterThan(0);
  expect(index.mainStream).toMatchObject({ machine: 'pc-i440fx-7.2', pageRecords: 0 });
  expect(index.warnings).toEqual([]);
  const pcRam = fs.readFileSync(blockFile(out, 'pc.ram'));
  expect(pcRam.length).toBe(GUEST_BYTES);
  expect(describePages(pcRamDifferences(pcRam, expected))).toBe('none');
  expect(pcRam.subarray(BLOB_ADDR, BLOB_ADDR + 0x400000).equals(fs.readFileSync(DEV_BLOB))).toBe(true);
}

/** Migrate a TLS source into receive expecting a refusal: receive exits 1 with ERR_MULTIFD_TLS matching `receiveText`, QEMU's migration fails. */
async function migrateRefused(t: SourceTls, receiveText: RegExp): Promise<{ qemuError: string; receiveLine: string }> {
  const dir = tempDir();
  const out = path.join(dir, 'out');
  const receive = startReceiver(2, 'nocomp', out);
  const source = await startSource(dir, 2, 'none', t);
  const port = await receive.listening();

  await migrate(source, `tcp:127.0.0.1:${port}`);
  const failure = await waitForMigration(source, { timeoutMs: 30_000 }).then(
    (info) => new Error(`QEMU's migration ended ${info.status}`),
    (e: unknown) => e,
  );
  expect(QemuHarnessError.is(failure, 'ERR_QEMU_MIGRATION_FAILED'), String(failure)).toBe(true);
  const result = await receive.exit(20_000);
  expect(result.code, result.stderr).toBe(1);
  const lines = result.stderr.split('\n').filter((l) => l.startsWith('multifd: ERR_'));
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^multifd: ERR_MULTIFD_TLS: /);
  expect(lines[0]).toMatch(receiveText);
  expect(fs.existsSync(path.join(out, 'index.json'))).toBe(false);
  return { qemuError: (failure as Error).message, receiveLine: lines[0]! };
}

describe('QEMU 7.2 source with tls-creds-x509 -> multifd receive over TLS', () => {
  it.each([
    ['none', 2],
    ['zstd', 2],
  ] as [MultifdCompression, number][])(
    '%s, %i channels, client certificate verified: QEMU completes, receive exits 0, pc.ram equals the source',
    (compression, channels) => migrateOk(compression, channels, { own: pki.client }),
    60_000,
  );

  it(
    'tls-hostname localhost (a DNS name in our certificate; the default is the host of the URI, 127.0.0.1): completes',
    () => migrateOk('zstd', 2, { own: pki.client, hostname: 'localhost' }),
    60_000,
  );

  it(
    'QEMU without a client certificate: receive refuses it at the handshake (exit 1, ERR_MULTIFD_TLS), QEMU reports the TLS alert',
    async () => {
      const { qemuError } = await migrateRefused({}, /TLS handshake failed: peer did not return a certificate/);
      // QEMU reads our alert ("A TLS fatal alert has been received") or finds the connection already closed ("Error in the push function").
      expect(qemuError).toMatch(/TLS handshake failed: /);
    },
    60_000,
  );

  it(
    'QEMU with a client certificate from another CA (sanity-check=off): refused (exit 1, ERR_MULTIFD_TLS), QEMU fails',
    async () => {
      // GnuTLS offers only a certificate from a CA the server's certificate request names (ours): QEMU sends none.
      const { qemuError } = await migrateRefused({ own: pki.rogue, noSanityCheck: true }, /TLS handshake failed: peer did not return a certificate/);
      // QEMU reads our alert ("A TLS fatal alert has been received") or finds the connection already closed ("Error in the push function").
      expect(qemuError).toMatch(/TLS handshake failed: /);
    },
    60_000,
  );

  it(
    'tls-hostname naming another host: QEMU refuses our certificate, its migration fails and receive exits 1 with ERR_MULTIFD_TLS',
    async () => {
      // QEMU checks the certificate after the handshake and hangs up without an alert.
      const { qemuError } = await migrateRefused({ own: pki.client, hostname: 'elsewhere.example' }, /closed the connection right after the TLS handshake.*refuse our certificate/);
      expect(qemuError).toMatch(/Certificate does not match the hostname elsewhere\.example/);
    },
    60_000,
  );
});
