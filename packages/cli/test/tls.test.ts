/**
 * The TLS flags of send, receive, proxy and replay, in-process, with
 * certificates made by the openssl command in a temp dir for this file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillMemory } from '@multifd/core';
import { makeTestPki, type TestPki } from '@multifd/qemu-harness';
import { decodeOk, errorCode, fixtureDir, removeTempDirs, run, start, streamFiles, tempDir } from './helpers.js';

let pki: TestPki;

beforeAll(async () => {
  pki = await makeTestPki(tempDir('multifd-cli-tls-'));
}, 60_000);

afterAll(removeTempDirs);

/** A RAM image file of `mib` MiB. */
function ramImage(dir: string, mib: number, seed: string): { file: string; bytes: Buffer } {
  const bytes = Buffer.alloc(mib << 20);
  fillMemory(bytes, seed);
  const file = join(dir, 'ram.bin');
  writeFileSync(file, bytes);
  return { file, bytes };
}

const serverFlags = () => ['--tls-cert', pki.server.cert, '--tls-key', pki.server.key, '--tls-ca', pki.ca];
/** The connecting side's flags; `own` null: no client certificate. */
const clientFlags = (prefix = '', own: { cert: string; key: string } | null = pki.client) => [
  `--${prefix}tls-ca`,
  pki.ca,
  ...(own ? [`--${prefix}tls-cert`, own.cert, `--${prefix}tls-key`, own.key] : []),
];

/** The code of the `multifd: ERR_...` line among a listener's lines. */
const lineCode = (stderr: string) => errorCode(stderr.split('\n').find((l) => l.startsWith('multifd: ERR_')) ?? '');

describe('TLS on the command line', () => {
  it('send -> proxy -> receive, TLS with client certificates verified on both hops: exit 0, RAM equal', async () => {
    const dir = tempDir();
    const out = join(dir, 'out');
    const ram = ramImage(dir, 4, 'cli-tls');
    const receive = start(['receive', '--listen', '127.0.0.1:0', '--channels', '3', '--method', 'zstd', '--out', out, ...serverFlags(), '--tls-authz', 'client']);
    const receivePort = await receive.port();
    const proxy = start([
      'proxy',
      '--listen',
      '127.0.0.1:0',
      '--channels',
      '2',
      '--to',
      `127.0.0.1:${receivePort}`,
      '--out-channels',
      '3',
      '--out-method',
      'zstd',
      ...serverFlags(),
      '--tls-verify-peer',
      ...clientFlags('out-'),
      '--out-tls-hostname',
      'localhost',
    ]);
    const proxyPort = await proxy.port();
    const send = await run(['send', '--to', `127.0.0.1:${proxyPort}`, '--channels', '2', '--method', 'nocomp', '--json', ...clientFlags(), `pc.ram=${ram.file}`]);
    const [p, r] = await Promise.all([proxy.done, receive.done]);
    expect(send.code, send.stderr).toBe(0);
    const summary = JSON.parse(send.stdout) as { pages: number; seconds: number; cpuSeconds: number };
    expect(summary.pages).toBe(ram.bytes.length / 4096);
    // This process's CPU over the migration: something, and no more than every core's worth of its wall time (plus a tick).
    expect(summary.cpuSeconds).toBeGreaterThan(0);
    expect(summary.cpuSeconds).toBeLessThanOrEqual(availableParallelism() * summary.seconds + 0.05);
    expect(p.code, p.stderr).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^received zstd: 3 channels/);
    expect(readFileSync(join(out, 'pc.ram.bin')).equals(ram.bytes)).toBe(true);
  });

  it('replay of a QEMU 7.2 capture into receive over TLS (--tls-hostname localhost): the same RAM as decode', async () => {
    const capture = fixtureDir('7.2', 'zstd-2ch');
    const out = join(tempDir(), 'out');
    const receive = start(['receive', '--listen', '127.0.0.1:0', '--channels', '2', '--out', out, ...serverFlags(), '--tls-verify-peer']);
    const port = await receive.port();
    const replay = await run(['replay', '--to', `127.0.0.1:${port}`, '--channels', '2', '--method', 'nocomp', ...clientFlags(), '--tls-hostname', 'localhost', ...streamFiles(capture)]);
    const r = await receive.done;
    expect(replay.code, replay.stderr).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    const decoded = tempDir();
    await decodeOk(streamFiles(capture), decoded);
    expect(readFileSync(join(out, 'pc.ram.bin')).equals(readFileSync(join(decoded, 'pc.ram.bin')))).toBe(true);
  });

  for (const [name, own, reason] of [
    ['no client certificate', () => null, /TLS handshake failed/],
    ['a certificate from another CA', () => pki.rogue, /client certificate refused: not signed by a trusted CA/],
    ['a certificate whose CN is not allowed', () => pki.other, /client certificate CN=intruder,O=multifd test is not allowed/],
  ] as const) {
    it(`receive refuses a sender with ${name}: both exit 1 with one typed line, nothing written`, async () => {
      const dir = tempDir();
      const out = join(dir, 'out');
      const ram = ramImage(dir, 1, 'cli-tls-refused');
      const receive = start(['receive', '--listen', '127.0.0.1:0', '--channels', '2', '--out', out, ...serverFlags(), '--tls-authz', 'client']);
      const port = await receive.port();
      const send = await run(['send', '--to', `127.0.0.1:${port}`, '--channels', '2', '--method', 'nocomp', ...clientFlags('', own()), ram.file]);
      const r = await receive.done;
      expect(r.code).toBe(1);
      expect(lineCode(r.stderr), r.stderr).toBe('ERR_MULTIFD_TLS');
      expect(r.stderr).toMatch(reason);
      expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('multifd: ERR_'))).toHaveLength(1);
      expect(send.code).toBe(1);
      expect(errorCode(send.stderr), send.stderr).toMatch(/^ERR_MULTIFD_(TLS|CONNECTION)$/);
      expect(send.stderr.split('\n')).toHaveLength(2);
      expect(existsSync(join(out, 'index.json'))).toBe(false);
    });
  }

  describe('bad TLS flags and files are one-line typed errors', () => {
    const receiveArgs = () => ['receive', '--listen', '127.0.0.1:0', '--channels', '1', '--out', tempDir()];
    const sendArgs = () => ['send', '--to', '127.0.0.1:1', '--channels', '1', '--method', 'nocomp'];
    const junk = () => {
      const file = join(tempDir(), 'junk.pem');
      writeFileSync(file, 'this is not PEM\n');
      return file;
    };
    const cases: [string, () => string[], number, string, RegExp][] = [
      ['a missing certificate file', () => [...receiveArgs(), '--tls-cert', '/nonexistent/cert.pem', '--tls-key', pki.server.key], 1, 'ERR_MULTIFD_IO', /--tls-cert: cannot read \/nonexistent\/cert\.pem \(ENOENT\)/],
      ['a key file that is a directory', () => [...receiveArgs(), '--tls-cert', pki.server.cert, '--tls-key', pki.dir], 1, 'ERR_MULTIFD_IO', /--tls-key: cannot read .* \(EISDIR\)/],
      ['a certificate that is not PEM', () => [...receiveArgs(), '--tls-cert', junk(), '--tls-key', pki.server.key], 1, 'ERR_MULTIFD_TLS', /--tls-cert .*junk\.pem: not a PEM certificate/],
      ['a key that is not PEM', () => [...receiveArgs(), '--tls-cert', pki.server.cert, '--tls-key', junk()], 1, 'ERR_MULTIFD_TLS', /--tls-key .*junk\.pem: not a PEM private key/],
      ['a key of another certificate', () => [...receiveArgs(), '--tls-cert', pki.server.cert, '--tls-key', pki.client.key], 1, 'ERR_MULTIFD_TLS', /--tls-key .* is not the key of --tls-cert/],
      ['a CA file that is not PEM', () => [...sendArgs(), '--tls-ca', junk(), pki.ca], 1, 'ERR_MULTIFD_TLS', /--tls-ca .*junk\.pem: not a PEM certificate/],
      ['receive: a certificate without its key', () => [...receiveArgs(), '--tls-cert', pki.server.cert], 2, 'ERR_MULTIFD_USAGE', /TLS needs --tls-cert and --tls-key/],
      ['receive: --tls-verify-peer without --tls-ca', () => [...receiveArgs(), '--tls-cert', pki.server.cert, '--tls-key', pki.server.key, '--tls-verify-peer'], 2, 'ERR_MULTIFD_USAGE', /need --tls-ca/],
      ['receive: --tls-hostname (a connecting side flag)', () => [...receiveArgs(), '--tls-hostname', 'x'], 2, 'ERR_MULTIFD_USAGE', /tls-hostname/],
      ['send: a client certificate without --tls-ca', () => [...sendArgs(), '--tls-cert', pki.client.cert, '--tls-key', pki.client.key, pki.ca], 2, 'ERR_MULTIFD_USAGE', /TLS needs --tls-ca/],
      ['send: a certificate without its key', () => [...sendArgs(), '--tls-ca', pki.ca, '--tls-cert', pki.client.cert, pki.ca], 2, 'ERR_MULTIFD_USAGE', /--tls-cert and --tls-key together/],
      ['receive: an empty --tls-authz name', () => [...receiveArgs(), ...serverFlags(), '--tls-authz', 'a,,b'], 2, 'ERR_MULTIFD_USAGE', /empty name/],
      [
        'proxy: --out-tls-cert without --out-tls-ca',
        () => ['proxy', '--listen', '127.0.0.1:0', '--to', '127.0.0.1:1', '--channels', '1', '--out-method', 'nocomp', '--out-tls-cert', pki.client.cert, '--out-tls-key', pki.client.key],
        2,
        'ERR_MULTIFD_USAGE',
        /TLS needs --out-tls-ca/,
      ],
    ];
    for (const [name, argv, exit, code, text] of cases) {
      it(name, async () => {
        const r = await run(argv());
        expect(r.code, r.stderr).toBe(exit);
        expect(errorCode(r.stderr), r.stderr).toBe(code);
        expect(r.stderr).toMatch(text);
        expect(r.stderr.split('\n')).toHaveLength(2);
      });
    }
  });

  it('--help of send, receive, proxy and replay documents the TLS flags', async () => {
    for (const [command, flags] of [
      ['send', ['--tls-ca', '--tls-cert', '--tls-key', '--tls-hostname']],
      ['replay', ['--tls-ca', '--tls-cert', '--tls-key', '--tls-hostname']],
      ['receive', ['--tls-cert', '--tls-key', '--tls-ca', '--tls-verify-peer', '--tls-authz']],
      ['proxy', ['--tls-cert', '--tls-key', '--tls-ca', '--tls-verify-peer', '--tls-authz', '--out-tls-ca', '--out-tls-cert', '--out-tls-key', '--out-tls-hostname']],
    ] as const) {
      const r = await run([command, '--help']);
      expect(r.code).toBe(0);
      for (const flag of flags) expect(r.stdout, `${command} ${flag}`).toMatch(new RegExp(`^  ${flag} `, 'm'));
      expect(r.stdout, command).toMatch(/TLS/);
    }
  });
});
