/** A fake QMP server on a unix socket, for testing the client without QEMU. */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface QmpRequest {
  execute: string;
  arguments?: Record<string, unknown>;
  id?: unknown;
}

/** What to answer: a `return` value, an error, or nothing at all (a hung QEMU). */
export type FakeAnswer = { return: unknown } | { error: { class: string; desc: string } } | 'no-answer';

export interface FakeQmp {
  readonly path: string;
  readonly requests: QmpRequest[];
  /** Start listening (when created with `listen: false`). */
  listen(): Promise<void>;
  /** Send an event to every client. */
  emit(event: string, data?: Record<string, unknown>): void;
  /** Send raw text to every client. */
  sendRaw(text: string): void;
  close(): Promise<void>;
}

export const GREETING = { QMP: { version: { qemu: { major: 7, minor: 2, micro: 22 }, package: 'fake' }, capabilities: ['oob'] } };

export async function fakeQmpServer(
  answer: (request: QmpRequest) => FakeAnswer = () => ({ return: {} }),
  options: { listen?: boolean; greeting?: boolean } = {},
): Promise<FakeQmp> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-qmp-'));
  const socketPath = path.join(dir, 'qmp.sock');
  const requests: QmpRequest[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (options.greeting !== false) socket.write(`${JSON.stringify(GREETING)}\r\n`);
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const request = JSON.parse(buffered.slice(0, newline)) as QmpRequest;
        buffered = buffered.slice(newline + 1);
        requests.push(request);
        const reply = request.execute === 'qmp_capabilities' ? { return: {} } : answer(request);
        if (reply !== 'no-answer') socket.write(`${JSON.stringify({ ...reply, id: request.id })}\r\n`);
      }
    });
  });
  const listen = (): Promise<void> => new Promise((resolve) => server.listen(socketPath, resolve));
  if (options.listen !== false) await listen();
  const broadcast = (text: string): void => {
    for (const socket of sockets) socket.write(text);
  };
  return {
    path: socketPath,
    requests,
    listen,
    emit: (event, data) => broadcast(`${JSON.stringify({ event, data, timestamp: { seconds: 1, microseconds: 2 } })}\r\n`),
    sendRaw: broadcast,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
