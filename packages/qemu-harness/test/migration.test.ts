import { afterEach, describe, expect, it } from 'vitest';
import {
  MigrationError,
  QmpClient,
  configureMultifd,
  migrateIncoming,
  multifdParameters,
  waitForMigration,
  type QmpPeer,
} from '../src/index.js';
import { fakeQmpServer, type FakeAnswer, type FakeQmp, type QmpRequest } from './fake-qmp-server.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function peer(answer: (request: QmpRequest) => FakeAnswer, commandTimeoutMs = 2000): Promise<{ vm: QmpPeer; server: FakeQmp }> {
  const server = await fakeQmpServer(answer);
  cleanups.push(() => server.close());
  const qmp = await QmpClient.connect(server.path, { commandTimeoutMs });
  cleanups.push(() => qmp.close());
  return { vm: { qmp, name: 'fake' }, server };
}

/** Answers query-migrate with the given statuses in turn (the last one repeats). */
function statuses(...list: Array<Record<string, unknown>>): (request: QmpRequest) => FakeAnswer {
  let i = 0;
  return () => ({ return: list[Math.min(i++, list.length - 1)] });
}

describe('multifdParameters', () => {
  it('defaults to 2 channels, none, unlimited bandwidth', () => {
    expect(multifdParameters()).toEqual({ 'multifd-channels': 2, 'multifd-compression': 'none', 'max-bandwidth': 107374182400 });
  });

  it('maps levels and downtime', () => {
    expect(multifdParameters({ channels: 4, compression: 'zstd', zstdLevel: 3, zlibLevel: 9, maxBandwidth: 1e9, downtimeLimitMs: 500 })).toEqual({
      'multifd-channels': 4,
      'multifd-compression': 'zstd',
      'multifd-zstd-level': 3,
      'multifd-zlib-level': 9,
      'max-bandwidth': 1e9,
      'downtime-limit': 500,
    });
  });
});

describe('migration helpers (fake QMP)', () => {
  it('configureMultifd sets the capability, then the parameters', async () => {
    const { vm, server } = await peer(() => ({ return: {} }));
    await configureMultifd(vm, { compression: 'zstd' });
    expect(server.requests.slice(1)).toMatchObject([
      { execute: 'migrate-set-capabilities', arguments: { capabilities: [{ capability: 'multifd', state: true }] } },
      { execute: 'migrate-set-parameters', arguments: { 'multifd-compression': 'zstd', 'multifd-channels': 2 } },
    ]);
  });

  it('migrateIncoming resolves port 0 from socket-address', async () => {
    const { vm } = await peer((r) =>
      r.execute === 'query-migrate' ? { return: { 'socket-address': [{ type: 'inet', host: '127.0.0.1', port: '34853', ipv4: true }] } } : { return: {} },
    );
    expect(await migrateIncoming(vm)).toBe('tcp:127.0.0.1:34853');
    expect(await migrateIncoming(vm, 'tcp:127.0.0.1:4444')).toBe('tcp:127.0.0.1:4444');
  });

  it('waitForMigration polls until completed', async () => {
    const { vm } = await peer(statuses({}, { status: 'setup' }, { status: 'active' }, { status: 'completed', 'total-time': 21 }));
    expect(await waitForMigration(vm, { timeoutMs: 5000, pollIntervalMs: 5 })).toEqual({ status: 'completed', 'total-time': 21 });
  });

  it('waitForMigration throws ERR_QEMU_MIGRATION_FAILED with error-desc', async () => {
    const { vm } = await peer(statuses({ status: 'active' }, { status: 'failed', 'error-desc': 'Unable to write to socket' }));
    const error = await waitForMigration(vm, { timeoutMs: 5000, pollIntervalMs: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({ code: 'ERR_QEMU_MIGRATION_FAILED', info: { status: 'failed' } });
    expect((error as Error).message).toContain('Unable to write to socket');
  });

  it('waitForMigration times out while the status stays active', async () => {
    const { vm } = await peer(statuses({ status: 'active' }));
    const error = await waitForMigration(vm, { timeoutMs: 200, pollIntervalMs: 10 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_QEMU_MIGRATION_TIMEOUT', info: { status: 'active' } });
  });

  it('waitForMigration times out when QMP stops answering (hung destination)', async () => {
    let calls = 0;
    const { vm } = await peer(() => (++calls > 2 ? 'no-answer' : { return: { status: 'active' } }), 10_000);
    const started = Date.now();
    const error = await waitForMigration(vm, { timeoutMs: 300, pollIntervalMs: 10 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_QEMU_MIGRATION_TIMEOUT', cause: { code: 'ERR_QEMU_QMP_TIMEOUT' } });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
