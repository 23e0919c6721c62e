import { afterEach, describe, expect, it } from 'vitest';
import { QemuHarnessError, QmpClient, QmpCommandError, QmpTimeoutError } from '../src/index.js';
import { fakeQmpServer, type FakeAnswer, type FakeQmp, type QmpRequest } from './fake-qmp-server.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(answer?: (request: QmpRequest) => FakeAnswer, options?: { listen?: boolean; greeting?: boolean }): Promise<FakeQmp> {
  const server = await fakeQmpServer(answer, options);
  cleanups.push(() => server.close());
  return server;
}

async function connect(server: FakeQmp, options: Parameters<typeof QmpClient.connect>[1] = {}): Promise<QmpClient> {
  const client = await QmpClient.connect(server.path, options);
  cleanups.push(() => client.close());
  return client;
}

describe('QmpClient', () => {
  it('reads the greeting, sends qmp_capabilities first and returns `return`', async () => {
    const server = await serve((request) => ({ return: { echo: request.arguments } }));
    const client = await connect(server);
    expect(client.greeting.QMP.version.qemu).toEqual({ major: 7, minor: 2, micro: 22 });
    expect(await client.execute('query-foo', { a: 1 })).toEqual({ echo: { a: 1 } });
    expect(server.requests.map((r) => r.execute)).toEqual(['qmp_capabilities', 'query-foo']);
  });

  it('retries until the socket exists', async () => {
    const server = await serve(undefined, { listen: false });
    setTimeout(() => void server.listen(), 150);
    const client = await connect(server, { connectTimeoutMs: 5000, retryIntervalMs: 10 });
    expect(client.closed).toBe(false);
  });

  it('gives up connecting after connectTimeoutMs with ERR_QEMU_QMP_CONNECT', async () => {
    const server = await serve(undefined, { listen: false });
    const error = await QmpClient.connect(server.path, { connectTimeoutMs: 100 }).catch((e: unknown) => e);
    expect(QemuHarnessError.is(error, 'ERR_QEMU_QMP_CONNECT')).toBe(true);
  });

  it('gives up when the greeting never comes', async () => {
    const server = await serve(undefined, { greeting: false });
    const error = await QmpClient.connect(server.path, { connectTimeoutMs: 150 }).catch((e: unknown) => e);
    expect(QemuHarnessError.is(error, 'ERR_QEMU_QMP_CONNECT')).toBe(true);
    expect((error as Error).cause).toBeInstanceOf(QmpTimeoutError);
  });

  it('stops retrying when the signal aborts', async () => {
    const server = await serve(undefined, { listen: false });
    const started = Date.now();
    const error = await QmpClient.connect(server.path, { connectTimeoutMs: 10_000, signal: AbortSignal.timeout(50) }).catch((e: unknown) => e);
    expect(QemuHarnessError.is(error, 'ERR_QEMU_QMP_CONNECT')).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('throws QmpCommandError with QEMU desc and class', async () => {
    const server = await serve(() => ({ error: { class: 'CommandNotFound', desc: 'The command nope has not been found' } }));
    const client = await connect(server);
    const error = await client.execute('nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QmpCommandError);
    expect(error).toMatchObject({ code: 'ERR_QEMU_QMP_COMMAND', command: 'nope', errorClass: 'CommandNotFound', desc: 'The command nope has not been found' });
  });

  it('times out a command that gets no answer, and drops a late answer', async () => {
    let hang = true;
    const server = await serve((request) => (hang && request.execute === 'slow' ? 'no-answer' : { return: request.execute }));
    const client = await connect(server, { commandTimeoutMs: 5000 });
    const error = await client.execute('slow', undefined, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QmpTimeoutError);
    expect(error).toMatchObject({ code: 'ERR_QEMU_QMP_TIMEOUT', command: 'slow', timeoutMs: 100 });
    hang = false;
    // The client stays usable and matches answers by id.
    expect(await client.execute('next')).toBe('next');
  });

  it('uses the default command timeout', async () => {
    const server = await serve(() => 'no-answer');
    const client = await connect(server, { commandTimeoutMs: 80 });
    await expect(client.execute('query-status')).rejects.toBeInstanceOf(QmpTimeoutError);
  });

  it('collects events and waits for one', async () => {
    const server = await serve();
    const client = await connect(server);
    const waiting = client.waitForEvent('MIGRATION', { filter: (e) => e.data?.status === 'completed', timeoutMs: 2000 });
    server.emit('MIGRATION', { status: 'active' });
    server.emit('MIGRATION', { status: 'completed' });
    expect((await waiting).data).toEqual({ status: 'completed' });
    expect(client.events.map((e) => e.data?.status)).toEqual(['active', 'completed']);
    expect(await client.waitForEvent('MIGRATION', { includePast: true })).toBe(client.events[0]);
    await expect(client.waitForEvent('STOP', { timeoutMs: 50 })).rejects.toMatchObject({ code: 'ERR_QEMU_QMP_TIMEOUT', command: 'event STOP' });
  });

  it('fails pending and later commands when the peer closes', async () => {
    const server = await serve(() => 'no-answer');
    const client = await connect(server);
    const pending = client.execute('query-status', undefined, { timeoutMs: 5000 });
    const event = client.waitForEvent('STOP', { timeoutMs: 5000 });
    await server.close();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_QEMU_QMP_CLOSED' });
    await expect(event).rejects.toMatchObject({ code: 'ERR_QEMU_QMP_CLOSED' });
    await expect(client.execute('query-status')).rejects.toMatchObject({ code: 'ERR_QEMU_QMP_CLOSED' });
    expect(client.closed).toBe(true);
  });

  it('close() fails pending commands at once', async () => {
    const server = await serve(() => 'no-answer');
    const client = await connect(server);
    const pending = client.execute('query-status', undefined, { timeoutMs: 5000 });
    client.close();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_QEMU_QMP_CLOSED' });
  });

  it('treats non-JSON as a protocol error and closes', async () => {
    const server = await serve(() => 'no-answer');
    const client = await connect(server);
    const pending = client.execute('query-status', undefined, { timeoutMs: 5000 });
    server.sendRaw('garbage\r\n');
    await expect(pending).rejects.toMatchObject({ code: 'ERR_QEMU_QMP_PROTOCOL' });
  });

  it('matches answers by id, in any order, split across or joined in chunks', async () => {
    const server = await serve(() => 'no-answer');
    const client = await connect(server);
    const first = client.execute('a');
    const second = client.execute('b');
    await expect.poll(() => server.requests.length).toBe(3);
    const [a, b] = server.requests.slice(1).map((r) => JSON.stringify({ return: r.execute, id: r.id }));
    const text = `${b}\r\n${a}\r\n`;
    server.sendRaw(text.slice(0, 7));
    await new Promise((resolve) => setTimeout(resolve, 20));
    server.sendRaw(text.slice(7));
    expect(await first).toBe('a');
    expect(await second).toBe('b');
  });
});
