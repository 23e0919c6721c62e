/**
 * The TLS flags, shaped after QEMU's tls-creds-x509, tls-authz and
 * tls-hostname. Accepting side (receive, proxy's incoming side):
 * --tls-cert/--tls-key [--tls-ca --tls-verify-peer] [--tls-authz NAME].
 * Connecting side (send, replay; proxy's outgoing side as --out-tls-*):
 * --tls-ca [--tls-cert/--tls-key] [--tls-hostname NAME]. The PEM files are
 * read and checked here, so that a missing file or a bad PEM is one line
 * naming the flag and the file.
 */
import fs from 'node:fs';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { resolve } from 'node:path';
import { MultifdError } from '@multifd/core';
import type { TlsOptions } from '@multifd/transport';
import { booleanOption, stringOption, usageError } from './args.js';
import type { OptionTable, OptionValues } from './command.js';

/** The accepting side's flags. */
export function tlsServerOptionTable(): OptionTable {
  return {
    'tls-cert': { type: 'string', valueName: 'FILE', description: 'TLS: our certificate (PEM); with --tls-key, every connection must be TLS' },
    'tls-key': { type: 'string', valueName: 'FILE', description: 'TLS: the private key of --tls-cert (PEM)' },
    'tls-ca': { type: 'string', valueName: 'FILE', description: 'TLS: the CA certificate(s) (PEM) client certificates must chain to' },
    'tls-verify-peer': { type: 'boolean', description: 'TLS: demand a client certificate signed by --tls-ca (QEMU verify-peer=on); others are refused' },
    'tls-authz': {
      type: 'string',
      multiple: true,
      valueName: 'NAME',
      description: 'TLS: accept only these client certificate subjects (QEMU tls-authz): CN[,CN...] or one DN "CN=x,O=y" per flag; implies --tls-verify-peer',
    },
  };
}

/** The connecting side's flags (`out-` for a proxy's outgoing side). */
export function tlsClientOptionTable(prefix: '' | 'out-'): OptionTable {
  const to = prefix ? 'the destination' : 'the receiver';
  return {
    [`${prefix}tls-ca`]: { type: 'string', valueName: 'FILE', description: `TLS to ${to}: the CA certificate(s) (PEM) its certificate must chain to; turns TLS on` },
    [`${prefix}tls-cert`]: { type: 'string', valueName: 'FILE', description: `TLS to ${to}: our client certificate (PEM), for a peer that verifies clients` },
    [`${prefix}tls-key`]: { type: 'string', valueName: 'FILE', description: `TLS: the private key of --${prefix}tls-cert (PEM)` },
    [`${prefix}tls-hostname`]: {
      type: 'string',
      valueName: 'NAME',
      description: `TLS: the name ${to}'s certificate must carry (QEMU tls-hostname; default: the host of --to)`,
    },
  };
}

/** TlsOptions for the accepting side, or undefined when no TLS flag is given. */
export function tlsServerOptions(values: OptionValues, command: string, cwd: string): TlsOptions | undefined {
  const authz = authzOption(values);
  const verify = booleanOption(values, 'tls-verify-peer') || authz !== undefined;
  const certFile = stringOption(values, 'tls-cert');
  const keyFile = stringOption(values, 'tls-key');
  const caFile = stringOption(values, 'tls-ca');
  if (certFile === undefined && keyFile === undefined && caFile === undefined && !verify) return undefined;
  if (certFile === undefined || keyFile === undefined) throw usageError(`${command}: TLS needs --tls-cert and --tls-key (see 'multifd ${command} --help')`);
  if (verify && caFile === undefined) throw usageError(`${command}: --tls-verify-peer and --tls-authz need --tls-ca, the CA client certificates must chain to`);
  const { cert, key } = keyPair('tls-cert', certFile, 'tls-key', keyFile, cwd);
  return {
    cert,
    key,
    ...(caFile !== undefined ? { ca: caBundle('tls-ca', caFile, cwd) } : {}),
    ...(verify ? { requestCert: true } : {}),
    ...(authz ? { allowedClients: authz } : {}),
  };
}

/** TlsOptions for the connecting side (`out-` flags for a proxy's outgoing side), or undefined when no TLS flag is given. */
export function tlsClientOptions(values: OptionValues, command: string, prefix: '' | 'out-', cwd: string): TlsOptions | undefined {
  const flag = (name: string) => `${prefix}tls-${name}`;
  const caFile = stringOption(values, flag('ca'));
  const certFile = stringOption(values, flag('cert'));
  const keyFile = stringOption(values, flag('key'));
  const hostname = stringOption(values, flag('hostname'));
  if (caFile === undefined && certFile === undefined && keyFile === undefined && hostname === undefined) return undefined;
  if (caFile === undefined) throw usageError(`${command}: TLS needs --${flag('ca')}, the CA that signs the peer's certificate`);
  if ((certFile === undefined) !== (keyFile === undefined)) throw usageError(`${command}: give --${flag('cert')} and --${flag('key')} together`);
  if (hostname !== undefined && hostname.trim() === '') throw usageError(`${command}: --${flag('hostname')} is empty`);
  return {
    ca: caBundle(flag('ca'), caFile, cwd),
    ...(certFile !== undefined && keyFile !== undefined ? keyPair(flag('cert'), certFile, flag('key'), keyFile, cwd) : {}),
    ...(hostname !== undefined ? { servername: hostname } : {}),
  };
}

/** --tls-authz values: a value with "=" is one distinguished name, any other a comma-separated list of common names. */
function authzOption(values: OptionValues): string[] | undefined {
  const raw = values['tls-authz'];
  const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((v): v is string => typeof v === 'string');
  if (list.length === 0) return undefined;
  const names = list.flatMap((v) => (v.includes('=') ? [v.trim()] : v.split(',').map((n) => n.trim())));
  if (names.some((n) => n === '')) throw usageError(`--tls-authz ${list.join(' ')}: an empty name`);
  return names;
}

function readPem(flag: string, file: string, cwd: string): string {
  const path = resolve(cwd, file);
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
    throw new MultifdError('ERR_MULTIFD_IO', `--${flag}: cannot read ${path} (${why})`, {}, { cause: e });
  }
}

function badPem(flag: string, file: string, what: string, e?: unknown): MultifdError {
  const why = e instanceof Error ? `: ${e.message.split('\n')[0]}` : '';
  return new MultifdError('ERR_MULTIFD_TLS', `--${flag} ${file}: not ${what}${why}`, {}, e === undefined ? {} : { cause: e });
}

function certificate(flag: string, file: string, pem: string): X509Certificate {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw badPem(flag, file, 'a PEM certificate');
  try {
    return new X509Certificate(pem);
  } catch (e) {
    throw badPem(flag, file, 'a PEM certificate', e);
  }
}

/** A certificate and its key, checked to belong together. */
function keyPair(certFlag: string, certFile: string, keyFlag: string, keyFile: string, cwd: string): { cert: string; key: string } {
  const cert = readPem(certFlag, certFile, cwd);
  const key = readPem(keyFlag, keyFile, cwd);
  const x509 = certificate(certFlag, certFile, cert);
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(key);
  } catch (e) {
    throw badPem(keyFlag, keyFile, 'a PEM private key', e);
  }
  if (!x509.checkPrivateKey(keyObject)) throw new MultifdError('ERR_MULTIFD_TLS', `--${keyFlag} ${keyFile} is not the key of --${certFlag} ${certFile}`);
  return { cert, key };
}

/** One or more CA certificates in one PEM file. */
function caBundle(flag: string, file: string, cwd: string): string {
  const pem = readPem(flag, file, cwd);
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw badPem(flag, file, 'a PEM certificate');
  for (const block of blocks) certificate(flag, file, block);
  return pem;
}
