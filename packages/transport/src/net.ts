/**
 * Socket helpers shared by every connection: address parsing, connecting
 * with a timeout (TCP or TLS), and writev-style packet writes whose promise
 * settles when the kernel has the bytes (so a reused buffer is never
 * overwritten while queued).
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { MultifdError } from '@multifd/core';

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

/** TLS settings (node:tls), as QEMU's tls-creds-x509: our certificate, the CA, and whether to demand the peer's. */
export interface TlsOptions {
  key?: string | Buffer;
  cert?: string | Buffer;
  ca?: string | Buffer | Array<string | Buffer>;
  /** Server side: demand and verify a client certificate (QEMU `verify-peer`). */
  requestCert?: boolean;
  /** Client side: the name the server certificate must carry (QEMU `tls-hostname`). */
  servername?: string;
  /** Accepted client certificate subjects (CN), like QEMU's tls-authz. */
  allowedClients?: string[];
}

/** Connect to `address`; ERR_MULTIFD_TIMEOUT / ERR_MULTIFD_CONNECTION on failure. */
export function connect(address: Address, options: { timeoutMs: number; tls?: TlsOptions; label: string }): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const { tls: t } = options;
    const socket: net.Socket = t
      ? tls.connect({
          host: address.host,
          port: address.port,
          ...(t.key ? { key: t.key } : {}),
          ...(t.cert ? { cert: t.cert } : {}),
          ...(t.ca ? { ca: t.ca } : {}),
          servername: t.servername ?? address.host,
          rejectUnauthorized: true,
        })
      : net.connect({ host: address.host, port: address.port });
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
      reject(MultifdError.wrap(err, t ? 'ERR_MULTIFD_CONNECTION' : 'ERR_MULTIFD_CONNECTION', { stream: `${options.label} to ${formatAddress(address)}` }));
    });
  });
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
