/**
 * A TCP tee for the tests: forwards every connection to `target` and records
 * what the client sent as `dir/conn<i>.bin` (i = accept order), so the bytes
 * QEMU put on the wire can be examined after the migration.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { finished } from 'node:stream/promises';

export interface CaptureTee {
  readonly port: number;
  /** Resolves with the recorded files once every accepted connection has ended and its file is written. */
  finished(): Promise<string[]>;
  close(): void;
}

export async function startCaptureTee(targetPort: number, dir: string, host = '127.0.0.1'): Promise<CaptureTee> {
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const done: Promise<unknown>[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const file = path.join(dir, `conn${files.length}.bin`);
    files.push(file);
    const record = fs.createWriteStream(file);
    const upstream = net.connect(targetPort, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    client.pipe(record);
    upstream.pipe(client); // receive's completion acknowledgement (QEMU ignores it)
    done.push(finished(record).catch(() => undefined), new Promise((resolve) => client.on('close', resolve)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    async finished() {
      await Promise.all(done);
      return [...files];
    },
    close() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}
