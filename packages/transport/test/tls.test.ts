/**
 * TLS with x509 certificates and mutual authentication, like QEMU's
 * tls-creds-x509 (verify-peer) and tls-authz. The certificates are made by
 * the openssl command in a temp dir for this file only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MultifdError } from '@multifd/core';
import { makeTestPki, type CertFiles, type TestPki } from '@multifd/qemu-harness';
import { IncomingMigration, MigrationReceiver, MigrationRelay, MigrationSender, checkTlsOptions, subjectAllowed, type TlsOptions } from '@multifd/transport';
import { image, sameBytes, settleTime, tcpProxy } from './helpers.js';

const MiB = 1 << 20;

let pki: TestPki;
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'multifd-tls-'));
  pki = await makeTestPki(tmp);
}, 60_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const read = (file: string) => fs.readFileSync(file);

/** Our receiver's side: server certificate, the CA, client certificates demanded. */
function serverTls(extra: Partial<TlsOptions> = {}): TlsOptions {
  return { cert: read(pki.server.cert), key: read(pki.server.key), ca: read(pki.ca), requestCert: true, ...extra };
}

/** A sender's side: `own` certificate (none: no client certificate) and the CA that signs the server's. */
function clientTls(own: CertFiles | undefined, extra: Partial<TlsOptions> = {}): TlsOptions {
  return { ca: read(pki.ca), ...(own ? { cert: read(own.cert), key: read(own.key) } : {}), ...extra };
}

async function sendAll(port: number, channels: number, method: string, mem: Uint8Array, tlsOptions: TlsOptions) {
  const sender = new MigrationSender({ to: `127.0.0.1:${port}`, channels, method, blocks: [{ name: 'pc.ram', memory: mem }], tls: tlsOptions, connectTimeoutMs: 5_000 });
  await sender.start();
  return sender.complete('all');
}

function codeOf(e: unknown): string | undefined {
  return MultifdError.is(e) ? e.code : undefined;
}

/**
 * Sockets of this process (inode != 0: orphaned kernel states after a close
 * do not count) on local or remote `port`, from /proc/net/tcp and tcp6.
 */
function socketsOn(port: number): string[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const rows: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[9] === '0') continue;
      if (f[1]!.endsWith(`:${hex}`) || f[2]!.endsWith(`:${hex}`)) rows.push(`${f[1]} ${f[2]} state ${f[3]}`);
    }
  }
  return rows;
}

/** Wait (up to 10 s) until no socket of ours is left on any of `ports`; returns what is left. */
async function leftOpen(...ports: number[]): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const rows = ports.flatMap(socketsOn);
    if (rows.length === 0 || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('TLS with mutual authentication', () => {
  for (const method of ['nocomp', 'zstd']) {
    it(`${method} over 2 channels: client certificate verified, RAM equal, every connection encrypted, no socket left open`, async () => {
      const ram = image(6 * MiB, `tls/${method}`);
      const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 2, tls: serverTls() });
      const { port } = await receiver.listen();
      // A TCP proxy in between sees the bytes on the wire: none of the plaintext magics may show.
      const plaintext: string[] = [];
      const proxy = await tcpProxy(port, {
        halfOpen: true,
        onData(_conn, index, chunk) {
          if (chunk.includes(Buffer.from('QEVM'))) plaintext.push(`QEVM on connection ${index}`);
          if (chunk.includes(Buffer.from([0x11, 0x22, 0x33, 0x44]))) plaintext.push(`multifd magic on connection ${index}`);
          return chunk;
        },
      });
      const [r, s] = await Promise.all([settleTime(receiver.done()), settleTime(sendAll(proxy.port, 2, method, ram, clientTls(pki.client)))]);
      proxy.close();
      expect(r.error).toBeUndefined();
      expect(s.error).toBeUndefined();
      expect(sameBytes(receiver.block('pc.ram'), ram)).toBe(true);
      expect(r.value!.method?.name).toBe(method);
      expect(r.value!.channels).toHaveLength(2);
      expect(proxy.connections).toHaveLength(3);
      expect(plaintext).toEqual([]);
      expect(await leftOpen(port, proxy.port)).toEqual([]);
    });
  }

  it('tls-authz by distinguished name (attributes in any order) lets the named client in', async () => {
    const ram = image(2 * MiB, 'tls/authz-dn');
    const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 2, tls: serverTls({ allowedClients: ['CN=someone-else', 'O=multifd test,CN=client'] }) });
    const { port } = await receiver.listen();
    const [r, s] = await Promise.all([settleTime(receiver.done()), settleTime(sendAll(port, 2, 'zstd', ram, clientTls(pki.client)))]);
    expect(r.error).toBeUndefined();
    expect(s.error).toBeUndefined();
    expect(sameBytes(receiver.block('pc.ram'), ram)).toBe(true);
    expect(await leftOpen(port)).toEqual([]);
  });

  const refused: [string, () => CertFiles | undefined, RegExp][] = [
    ['no client certificate', () => undefined, /TLS handshake failed: peer did not return a certificate/],
    ['a client certificate from another CA', () => pki.rogue, /client certificate refused: not signed by a trusted CA \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/],
    ['a self-signed client certificate', () => pki.selfSigned, /client certificate refused: self-signed \(DEPTH_ZERO_SELF_SIGNED_CERT\)/],
  ];
  for (const [name, own, reason] of refused) {
    it(`a client with ${name} is refused at the handshake: typed errors on both sides, no completion, no socket left open`, async () => {
      const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 2, tls: serverTls() });
      const { port } = await receiver.listen();
      const [r, s] = await Promise.all([settleTime(receiver.done()), settleTime(sendAll(port, 2, 'nocomp', image(2 * MiB, 'tls/refused'), clientTls(own())))]);
      expect(codeOf(r.error), String(r.error)).toBe('ERR_MULTIFD_TLS');
      expect((r.error as MultifdError).detail).toMatch(reason);
      expect(s.value).toBeUndefined();
      expect(codeOf(s.error), String(s.error)).toMatch(/^ERR_MULTIFD_(TLS|CONNECTION)$/);
      expect(receiver.block('pc.ram')).toBeUndefined();
      expect(await leftOpen(port)).toEqual([]);
    });
  }

  it('the sender is told at connect when its certificate is refused during the handshake', async () => {
    const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 1, tls: serverTls() });
    const { port } = await receiver.listen();
    const [r, s] = await Promise.all([settleTime(receiver.done()), settleTime(sendAll(port, 1, 'nocomp', image(1 * MiB, 'tls/alert'), clientTls(undefined)))]);
    expect(codeOf(r.error)).toBe('ERR_MULTIFD_TLS');
    // TLS 1.2: the refusal is an alert inside the handshake, so connecting the main stream fails with it.
    expect(codeOf(s.error), String(s.error)).toBe('ERR_MULTIFD_TLS');
    expect((s.error as MultifdError).message).toMatch(/handshake failure.*main stream to 127\.0\.0\.1/);
  });

  it('tls-authz: a valid certificate whose CN is not allowed is refused with a typed error naming the subject', async () => {
    const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 2, tls: serverTls({ allowedClients: ['client'] }) });
    const { port } = await receiver.listen();
    const [r, s] = await Promise.all([settleTime(receiver.done()), settleTime(sendAll(port, 2, 'zstd', image(2 * MiB, 'tls/authz'), clientTls(pki.other)))]);
    expect(codeOf(r.error), String(r.error)).toBe('ERR_MULTIFD_TLS');
    expect((r.error as MultifdError).detail).toBe('client certificate CN=intruder,O=multifd test is not allowed (tls-authz)');
    expect(s.value).toBeUndefined();
    expect(codeOf(s.error), String(s.error)).toMatch(/^ERR_MULTIFD_(TLS|CONNECTION)$/);
    expect(await leftOpen(port)).toEqual([]);
  });

  it('the sender checks the server certificate against the server name (QEMU tls-hostname), and the host by default', async () => {
    const ram = image(1 * MiB, 'tls/name');
    // 127.0.0.1 (the host, an IP SAN) and "localhost" (a DNS SAN) are both in the certificate.
    for (const servername of [undefined, 'localhost']) {
      const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 1, tls: serverTls() });
      const { port } = await receiver.listen();
      const [r, s] = await Promise.all([settleTime(receiver.done()), settleTime(sendAll(port, 1, 'nocomp', ram, clientTls(pki.client, servername ? { servername } : {})))]);
      expect(s.error, String(servername)).toBeUndefined();
      expect(r.error).toBeUndefined();
    }
    const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 1, tls: serverTls() });
    const { port } = await receiver.listen();
    const [r, s] = await Promise.all([settleTime(receiver.done()), settleTime(sendAll(port, 1, 'nocomp', ram, clientTls(pki.client, { servername: 'elsewhere.example' })))]);
    expect(codeOf(s.error), String(s.error)).toBe('ERR_MULTIFD_TLS');
    expect((s.error as MultifdError).detail).toMatch(/elsewhere\.example/);
    // The receiver sees the client hang up right after the handshake.
    expect(codeOf(r.error), String(r.error)).toBe('ERR_MULTIFD_TLS');
    expect((r.error as MultifdError).detail).toMatch(/right after the TLS handshake/);
    expect(await leftOpen(port)).toEqual([]);
  });

  it('a sender refuses a server whose certificate another CA signed', async () => {
    const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 1, tls: serverTls() });
    const { port } = await receiver.listen();
    const [r, s] = await Promise.all([
      settleTime(receiver.done()),
      settleTime(sendAll(port, 1, 'nocomp', image(1 * MiB, 'tls/rogue-server'), { ...clientTls(pki.client), ca: read(pki.rogueCa) })),
    ]);
    expect(codeOf(s.error), String(s.error)).toBe('ERR_MULTIFD_TLS');
    expect((s.error as MultifdError).detail).toMatch(/^TLS: .*certificate/);
    expect(codeOf(r.error)).toBe('ERR_MULTIFD_TLS');
  });

  it('a plain TCP peer on a TLS receiver is refused', async () => {
    const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 1, tls: serverTls() });
    const { port } = await receiver.listen();
    const [r, s] = await Promise.all([
      settleTime(receiver.done()),
      settleTime(
        (async () => {
          const sender = new MigrationSender({ to: `127.0.0.1:${port}`, channels: 1, method: 'nocomp', blocks: [{ name: 'pc.ram', memory: image(1 * MiB, 'tls/plain') }] });
          await sender.start();
          return sender.complete('all');
        })(),
      ),
    ]);
    expect(codeOf(r.error), String(r.error)).toBe('ERR_MULTIFD_TLS');
    expect(s.error).toBeDefined();
    expect(await leftOpen(port)).toEqual([]);
  });

  it('the receiver speaks TLS 1.2 by default (a QEMU source never reads the session tickets TLS 1.3 sends after the handshake), 1.3 when asked', async () => {
    for (const [maxVersion, expected] of [[undefined, 'TLSv1.2'], ['TLSv1.3', 'TLSv1.3']] as const) {
      const incoming = new IncomingMigration({ listen: '127.0.0.1:0', channels: 1, tls: serverTls(maxVersion ? { maxVersion } : {}), onFailure: () => undefined });
      const { port } = await incoming.listen();
      const socket = tls.connect({ host: '127.0.0.1', port, ca: read(pki.ca), cert: read(pki.client.cert), key: read(pki.client.key) });
      await new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', () => resolve());
        socket.once('error', reject);
      });
      expect(socket.getProtocol()).toBe(expected);
      socket.destroy();
      incoming.fail(new MultifdError('ERR_MULTIFD_CANCELLED', 'test over'));
      expect(await leftOpen(port)).toEqual([]);
    }
  });

  it('relay: TLS in (client certificates verified) and TLS out (its own client certificate), RAM equal at the end', async () => {
    const ram = image(4 * MiB, 'tls/relay');
    const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 3, tls: serverTls({ allowedClients: ['client'] }) });
    const { port: destPort } = await receiver.listen();
    const relay = new MigrationRelay({ to: `127.0.0.1:${destPort}`, channels: 3, method: 'zstd', tls: clientTls(pki.client) });
    const incoming = new IncomingMigration({ listen: '127.0.0.1:0', channels: 2, tls: serverTls(), onFailure: (e) => relay.abort(e) });
    const { port: relayPort } = await incoming.listen();
    const relayed = relay.run({ main: { label: 'main stream', source: incoming.main }, channels: incoming.channels.map((c) => ({ label: c.label, source: c })) }).then((report) => {
      incoming.acknowledge();
      return report;
    });
    const [r, p, s] = await Promise.all([settleTime(receiver.done()), settleTime(relayed), settleTime(sendAll(relayPort, 2, 'nocomp', ram, clientTls(pki.client)))]);
    incoming.close();
    expect(r.error).toBeUndefined();
    expect(p.error).toBeUndefined();
    expect(s.error).toBeUndefined();
    expect(sameBytes(receiver.block('pc.ram'), ram)).toBe(true);
    expect(r.value!.method?.name).toBe('zstd');
    expect(r.value!.channels).toHaveLength(3);
    expect(await leftOpen(destPort, relayPort)).toEqual([]);
  });

  it('bad settings are typed errors before anything connects', () => {
    const code = (f: () => unknown) => {
      try {
        f();
        return 'no error';
      } catch (e) {
        return `${codeOf(e)}: ${(e as Error).message}`;
      }
    };
    expect(code(() => checkTlsOptions({ cert: read(pki.server.cert) }, 'server'))).toMatch(/^ERR_MULTIFD_BAD_OPTION: .*together/);
    expect(code(() => checkTlsOptions({ ca: read(pki.ca) }, 'server'))).toMatch(/^ERR_MULTIFD_BAD_OPTION: .*needs a certificate/);
    expect(code(() => checkTlsOptions({ cert: read(pki.server.cert), key: read(pki.server.key), requestCert: true }, 'server'))).toMatch(/^ERR_MULTIFD_BAD_OPTION: .*CA/);
    expect(code(() => checkTlsOptions({ cert: read(pki.server.cert), key: read(pki.client.key) }, 'server'))).toMatch(/^ERR_MULTIFD_TLS: bad TLS credentials: key values mismatch/);
    expect(code(() => checkTlsOptions({ cert: 'not a certificate', key: read(pki.server.key) }, 'server'))).toMatch(/^ERR_MULTIFD_TLS: bad TLS credentials/);
    expect(code(() => checkTlsOptions(clientTls(pki.client), 'client'))).toBe('no error');
    expect(code(() => new MigrationReceiver({ listen: '127.0.0.1:0', channels: 1, tls: { ...serverTls(), key: 'junk' } }))).toMatch(/^ERR_MULTIFD_TLS/);
    expect(code(() => new MigrationSender({ to: '127.0.0.1:1', channels: 1, method: 'nocomp', blocks: [], tls: { ...clientTls(pki.client), requestCert: true } }))).toMatch(
      /^ERR_MULTIFD_BAD_OPTION/,
    );
  });

  it('tls-authz matching: a plain name is the CN, a distinguished name must match every attribute', () => {
    const subject = { O: 'multifd test', CN: 'client' };
    expect(subjectAllowed(subject, ['client'])).toBe(true);
    expect(subjectAllowed(subject, ['intruder'])).toBe(false);
    expect(subjectAllowed(subject, ['CN=client,O=multifd test'])).toBe(true);
    expect(subjectAllowed(subject, ['cn=client, o=multifd test'])).toBe(true);
    expect(subjectAllowed(subject, ['CN=client'])).toBe(false); // O missing
    expect(subjectAllowed(subject, ['CN=client,O=multifd test,C=GB'])).toBe(false);
    expect(subjectAllowed({ CN: 'a,b' }, ['CN=a\\,b'])).toBe(true);
    expect(subjectAllowed(undefined, ['client'])).toBe(false);
  });
});
