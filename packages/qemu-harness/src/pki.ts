/**
 * Throwaway x509 certificates for TLS tests, made with the `openssl` command
 * in a directory of the caller's (a temp dir: nothing is ever committed).
 * They satisfy QEMU's tls-creds-x509 sanity checks (CA basic constraints and
 * key usage, leaf key usage and extended key usage), so the same files serve
 * node:tls and QEMU. EC P-256 keys: quick to generate.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A certificate and its key, as PEM file paths. */
export interface CertFiles {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  /** The CA everyone trusts (CN "multifd test CA"). */
  ca: string;
  /** Server certificate: CN localhost, SAN DNS:localhost and IP:127.0.0.1, serverAuth. */
  server: CertFiles;
  /** Client certificate from the CA: CN client, O "multifd test", clientAuth. */
  client: CertFiles;
  /** Another valid client certificate from the CA: CN intruder. */
  other: CertFiles;
  /** A second CA nobody trusts. */
  rogueCa: string;
  /** A client certificate with CN client, signed by the rogue CA. */
  rogue: CertFiles;
  /** A self-signed client certificate with CN client. */
  selfSigned: CertFiles;
}

const LEAF = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment'];
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    const why = err.code === 'ENOENT' ? 'the openssl command is not installed' : (err.stderr ?? err.message).trim().split('\n')[0];
    throw new Error(`openssl ${args[0]}: ${why}`, { cause: e });
  }
}

async function selfSigned(dir: string, name: string, subject: string, extensions: string[]): Promise<CertFiles> {
  const files = { cert: path.join(dir, `${name}-cert.pem`), key: path.join(dir, `${name}-key.pem`) };
  await openssl(['req', '-x509', '-new', ...EC_KEY, '-keyout', files.key, '-out', files.cert, '-days', '2', '-subj', subject, ...extensions.flatMap((x) => ['-addext', x])], dir);
  return files;
}

async function signed(dir: string, name: string, ca: CertFiles, subject: string, extensions: string[]): Promise<CertFiles> {
  const files = { cert: path.join(dir, `${name}-cert.pem`), key: path.join(dir, `${name}-key.pem`) };
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  fs.writeFileSync(ext, `${extensions.join('\n')}\n`);
  await openssl(['req', '-new', ...EC_KEY, '-keyout', files.key, '-out', csr, '-subj', subject], dir);
  const serial = `0x${randomBytes(8).toString('hex')}`;
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', serial, '-days', '2', '-out', files.cert, '-extfile', ext], dir);
  fs.rmSync(csr);
  fs.rmSync(ext);
  return files;
}

/** Make every certificate of a TestPki in `dir` (created if needed). */
export async function makeTestPki(dir: string): Promise<TestPki> {
  fs.mkdirSync(dir, { recursive: true });
  const caExt = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
  const [ca, rogueCa] = await Promise.all([selfSigned(dir, 'ca', '/CN=multifd test CA', caExt), selfSigned(dir, 'rogue-ca', '/CN=rogue CA', caExt)]);
  const clientExt = [...LEAF, 'extendedKeyUsage=clientAuth'];
  const [server, client, other, rogue, self] = await Promise.all([
    signed(dir, 'server', ca, '/O=multifd test/CN=localhost', [...LEAF, 'extendedKeyUsage=serverAuth', 'subjectAltName=DNS:localhost,IP:127.0.0.1']),
    signed(dir, 'client', ca, '/O=multifd test/CN=client', clientExt),
    signed(dir, 'other', ca, '/O=multifd test/CN=intruder', clientExt),
    signed(dir, 'rogue', rogueCa, '/O=multifd test/CN=client', clientExt),
    selfSigned(dir, 'self-signed', '/O=multifd test/CN=client', clientExt),
  ]);
  return { dir, ca: ca.cert, server, client, other, rogueCa: rogueCa.cert, rogue, selfSigned: self };
}

/**
 * A directory laid out as QEMU's tls-creds-x509 `dir=` wants it: ca-cert.pem,
 * and for a client client-cert.pem + client-key.pem (left out when `own` is
 * not given: a client without a certificate), for a server server-cert.pem +
 * server-key.pem.
 */
export function qemuTlsDir(dir: string, options: { endpoint: 'client' | 'server'; ca: string; own?: CertFiles }): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(options.ca, path.join(dir, 'ca-cert.pem'));
  if (options.own) {
    fs.copyFileSync(options.own.cert, path.join(dir, `${options.endpoint}-cert.pem`));
    fs.copyFileSync(options.own.key, path.join(dir, `${options.endpoint}-key.pem`));
  }
  return dir;
}
