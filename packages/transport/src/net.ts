/**
 * Socket helpers shared by every connection: address parsing, connecting
 * with a timeout (TCP or TLS), and writev-style packet writes whose promise
 * settles when the kernel has the bytes (so a reused buffer is never
 * overwritten while queued).
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { MultifdError, type ErrorLocation } from '@multifd/core';

export interface Address {
  host: string;
  port: number;
}

/** "HOST:PORT", "[v6]:PORT" or ":PORT" (all interfaces) -> Address. */
export function parseAddress(text: string): Address {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new MultifdError('ERR_MULTIFD_USAGE', `expected HOST:PORT, got ${JSON.stringify(text)}`);
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function formatAddress(a: Address): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/**
 * TLS settings (node:tls), as QEMU's tls-creds-x509 and tls-authz: our
 * certificate and key, the CA that signs the peer's, and on the accepting
 * side whether to demand a client certificate and which subjects may connect.
 * Every connection (the main one and each channel) does its own handshake.
 */
export interface TlsOptions {
  /** Our private key (PEM). A server needs one; a client only when the server verifies peers. */
  key?: string | Buffer;
  /** Our certificate (PEM), with `key`. */
  cert?: string | Buffer;
  /** The CA certificate(s) (PEM) the peer's certificate must chain to (QEMU's ca-cert.pem). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Server side: demand a client certificate signed by `ca` (QEMU `verify-peer=on`); a client without one is refused at the handshake. */
  requestCert?: boolean;
  /** Client side: the name the server certificate must carry (QEMU `tls-hostname`; default: the host we connect to). */
  servername?: string;
  /**
   * Server side, like QEMU's tls-authz: the client certificate subjects
   * allowed in, each a common name ("client1") or a distinguished name
   * ("CN=client1,O=Example", attributes in any order, all must match).
   * Implies `requestCert`. A valid certificate of another subject is refused.
   */
  allowedClients?: readonly string[];
  /**
   * Highest protocol version. Servers default to TLS 1.2: a QEMU source
   * never reads its connections, and the session tickets a TLS 1.3 server
   * sends after the handshake then stay unread, so QEMU's close resets the
   * connection and can drop its last bytes. Clients default to TLS 1.3.
   */
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
}

/**
 * Check TLS settings before anything connects: both halves of a key pair,
 * a server certificate, a CA to verify peers with, and PEM that node:tls
 * accepts. ERR_MULTIFD_BAD_OPTION / ERR_MULTIFD_TLS.
 */
export function checkTlsOptions(t: TlsOptions, side: 'client' | 'server'): void {
  if (!t.key !== !t.cert) throw new MultifdError('ERR_MULTIFD_BAD_OPTION', 'TLS: give the certificate and its key together');
  if (side === 'server' && !t.cert) throw new MultifdError('ERR_MULTIFD_BAD_OPTION', 'TLS: a server needs a certificate and its key');
  if (side === 'server' && verifiesPeers(t) && !t.ca) throw new MultifdError('ERR_MULTIFD_BAD_OPTION', 'TLS: verifying client certificates needs the CA (`ca`)');
  if (side === 'server' && t.servername !== undefined) throw new MultifdError('ERR_MULTIFD_BAD_OPTION', 'TLS: `servername` is for the connecting side');
  if (side === 'client' && (t.requestCert || t.allowedClients)) throw new MultifdError('ERR_MULTIFD_BAD_OPTION', 'TLS: `requestCert` and `allowedClients` are for the accepting side');
  if (t.allowedClients?.some((a) => a.trim() === '')) throw new MultifdError('ERR_MULTIFD_BAD_OPTION', 'TLS: an empty name in `allowedClients`');
  try {
    tls.createSecureContext(secureContextOptions(t));
  } catch (e) {
    throw new MultifdError('ERR_MULTIFD_TLS', `bad TLS credentials: ${tlsReason(e)}`, {}, { cause: e });
  }
}

function verifiesPeers(t: TlsOptions): boolean {
  return t.requestCert === true || t.allowedClients !== undefined;
}

function secureContextOptions(t: TlsOptions): tls.SecureContextOptions {
  return { ...(t.key ? { key: t.key } : {}), ...(t.cert ? { cert: t.cert } : {}), ...(t.ca ? { ca: t.ca } : {}) };
}

/** node:tls server options for `t`: a client certificate demanded and verified when asked (a missing or untrusted one fails the handshake). */
export function tlsServerOptions(t: TlsOptions): tls.TlsOptions {
  const verify = verifiesPeers(t);
  return { ...secureContextOptions(t), requestCert: verify, rejectUnauthorized: verify, minVersion: 'TLSv1.2', maxVersion: t.maxVersion ?? 'TLSv1.2' };
}

/** The name a client checks the server certificate against: `servername` (QEMU's tls-hostname), else the host it connects to. */
export function tlsServerName(t: TlsOptions, address: Address): string {
  return t.servername ?? address.host;
}

/** A certificate subject as a distinguished name, most specific first like QEMU's ("CN=client,O=Example"). */
export function formatSubject(subject: CertSubject | undefined): string {
  const parts = subjectParts(subject).reverse();
  return parts.length > 0 ? parts.join(',') : '(no subject)';
}

/** A certificate subject as node:tls gives it ({ C, O, CN, ... }, in certificate order). */
export type CertSubject = { [attribute: string]: string | string[] | undefined };

/** "KEY=value" per attribute value, in certificate order. */
function subjectParts(subject: CertSubject | undefined): string[] {
  return Object.entries(subject ?? {}).flatMap(([k, v]) => (v === undefined ? [] : Array.isArray(v) ? v : [v]).map((x) => `${k}=${x}`));
}

/** Is a client certificate with `subject` in `allowed` (common names, or distinguished names matched attribute by attribute)? */
export function subjectAllowed(subject: CertSubject | undefined, allowed: readonly string[]): boolean {
  if (!subject) return false;
  const have = new Set(subjectParts(subject).map((p) => p.replace(/^[^=]*/, (k) => k.toUpperCase())));
  return allowed.some((entry) => {
    if (!/^[A-Za-z][\w.-]*=/.test(entry)) return typeof subject.CN === 'string' && subject.CN === entry;
    const want = splitDn(entry).map((part) => {
      const at = part.indexOf('=');
      return `${part.slice(0, at).trim().toUpperCase()}=${part.slice(at + 1).trim()}`;
    });
    return want.length === have.size && want.every((w) => have.has(w));
  });
}

/** "CN=a\\,b,O=x" -> ["CN=a,b", "O=x"] (a backslash escapes the next character). */
function splitDn(dn: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < dn.length; i++) {
    const c = dn[i]!;
    if (c === '\\' && i + 1 < dn.length) cur += dn[++i];
    else if (c === ',') {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

/** Codes node:tls gives certificate verification failures (OpenSSL's X509_V_ERR_* names). */
const CERT_CODES = /^(UNABLE_TO_|CERT_|DEPTH_ZERO_|SELF_SIGNED_|INVALID_|HOSTNAME_MISMATCH|ERR_TLS_|ERR_SSL_)/;

/** What an OpenSSL certificate verification code means, for messages. */
export function certProblem(code: string): string {
  const text: Record<string, string> = {
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'not signed by a trusted CA',
    UNABLE_TO_GET_ISSUER_CERT: 'no certificate, or its issuer is not a trusted CA',
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its issuer is not a trusted CA',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed',
    SELF_SIGNED_CERT_IN_CHAIN: 'a self-signed certificate in the chain',
    CERT_SIGNATURE_FAILURE: 'its signature does not verify',
    CERT_HAS_EXPIRED: 'expired',
    CERT_NOT_YET_VALID: 'not valid yet',
    INVALID_PURPOSE: 'not usable for this side of a TLS connection (key usage)',
  };
  return text[code] ? `${text[code]} (${code})` : code;
}

/** Is `err` a TLS failure (handshake, alert, certificate) rather than a plain network one? */
export function isTlsFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CERT_CODES.test(code);
}

/** A short reason for a TLS failure: OpenSSL's reason text ("tlsv13 alert certificate required") and the code. */
export function tlsReason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && message === code) return certProblem(code);
  const openssl = /SSL routines:[^:]*:([^:]+)/.exec(message)?.[1] ?? /routines::([^:\n]+)/.exec(message)?.[1];
  const text = (openssl ?? message.split('\n')[0] ?? message).trim();
  return typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text;
}

/** A socket error as a MultifdError: ERR_MULTIFD_TLS for TLS failures, ERR_MULTIFD_CONNECTION otherwise. */
export function socketError(err: unknown, location: ErrorLocation = {}): MultifdError {
  if (MultifdError.is(err)) return err.at(location);
  if (isTlsFailure(err)) return new MultifdError('ERR_MULTIFD_TLS', `TLS: ${tlsReason(err)}`, location, { cause: err });
  return MultifdError.wrap(err, 'ERR_MULTIFD_CONNECTION', location);
}

/** Connect to `address`; ERR_MULTIFD_TIMEOUT / ERR_MULTIFD_CONNECTION on failure, ERR_MULTIFD_TLS when the TLS handshake fails. */
export function connect(address: Address, options: { timeoutMs: number; tls?: TlsOptions; label: string }): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const { tls: t } = options;
    const where = `${options.label} to ${formatAddress(address)}`;
    let socket: net.Socket;
    let tcpUp = false;
    if (t) {
      const name = tlsServerName(t, address);
      try {
        socket = tls.connect({
          host: address.host,
          port: address.port,
          ...secureContextOptions(t),
          // SNI carries host names only (RFC 6066); the certificate is checked against `name` either way.
          ...(net.isIP(name) === 0 ? { servername: name } : {}),
          checkServerIdentity: (_host, cert) => tls.checkServerIdentity(name, cert),
          rejectUnauthorized: true,
          minVersion: 'TLSv1.2',
          ...(t.maxVersion ? { maxVersion: t.maxVersion } : {}),
        });
      } catch (e) {
        reject(new MultifdError('ERR_MULTIFD_TLS', `bad TLS credentials: ${tlsReason(e)}`, { stream: where }, { cause: e }));
        return;
      }
      socket.once('connect', () => (tcpUp = true));
    } else {
      socket = net.connect({ host: address.host, port: address.port });
    }
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new MultifdError('ERR_MULTIFD_TIMEOUT', `${options.label}: no connection to ${formatAddress(address)} after ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    socket.once(t ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      // Connected, then dropped before the handshake finished: the server refused us (or our certificate).
      if (t && tcpUp && !isTlsFailure(err)) {
        reject(new MultifdError('ERR_MULTIFD_TLS', `TLS handshake failed: ${tlsReason(err)}`, { stream: where }, { cause: err }));
      } else {
        reject(socketError(err, { stream: where }));
      }
    });
  });
}

/** How long to wait between two attempts on a destination that refuses connections. */
const RETRY_REFUSED_MS = 100;

/**
 * Connect to a destination that may not be listening yet (a QEMU started
 * with -incoming a moment after us): a refused connection is tried again
 * every 100 ms until `timeoutMs` has passed since the first attempt, then
 * ERR_MULTIFD_TIMEOUT. Any other failure ends it at once, as connect() does.
 */
export async function connectWhenListening(address: Address, options: { timeoutMs: number; tls?: TlsOptions; label: string }): Promise<net.Socket> {
  const deadline = Date.now() + options.timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const left = deadline - Date.now();
    try {
      return await connect(address, { ...options, timeoutMs: Math.max(1, left) });
    } catch (e) {
      const refused = (e as { cause?: { code?: unknown } }).cause?.code === 'ECONNREFUSED';
      if (!refused) throw e;
      if (Date.now() + RETRY_REFUSED_MS >= deadline) {
        throw new MultifdError(
          'ERR_MULTIFD_TIMEOUT',
          `${options.label}: ${formatAddress(address)} refused ${attempt} connection attempts over ${options.timeoutMs} ms (is the destination listening?)`,
          {},
          { cause: e },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_REFUSED_MS));
    }
  }
}

/**
 * Write `chunks` back to back in one corked batch (one writev). Resolves when
 * the last chunk has been handed to the kernel, rejects on a socket error.
 */
export function writeChunks(socket: net.Socket, chunks: readonly Uint8Array[]): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed || !socket.writable) {
      reject(new MultifdError('ERR_MULTIFD_CONNECTION', 'connection closed'));
      return;
    }
    socket.cork();
    for (let i = 0; i < chunks.length - 1; i++) socket.write(chunks[i]!);
    socket.write(chunks[chunks.length - 1] ?? new Uint8Array(0), (err) => {
      if (err) reject(MultifdError.wrap(err, 'ERR_MULTIFD_CONNECTION'));
      else resolve();
    });
    socket.uncork();
  });
}

/** End our side and wait until everything was flushed. */
export function endSocket(socket: net.Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) {
      resolve();
      return;
    }
    socket.once('error', (err) => reject(MultifdError.wrap(err, 'ERR_MULTIFD_CONNECTION')));
    socket.end(() => resolve());
  });
}
