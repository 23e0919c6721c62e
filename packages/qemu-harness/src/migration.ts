/**
 * Migration over QMP: capabilities and parameters, `migrate-incoming`,
 * `migrate`, and waiting for the end with a hard timeout.
 *
 * QEMU 7.2 needs the multifd capability and parameters on BOTH sides, and on
 * the destination before `migrate-incoming` (start it with `-incoming defer`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MigrationError, QemuHarnessError } from './errors.js';
import type { QmpClient } from './qmp-client.js';

/** What the helpers need: a QemuVm, or anything else with a QMP client. */
export interface QmpPeer {
  readonly qmp: QmpClient;
  readonly name?: string;
}

export type MultifdCompression = 'none' | 'zlib' | 'zstd';

export interface MultifdSettings {
  /** multifd-channels. Default 2. */
  channels?: number;
  /** multifd-compression. Default 'none'. */
  compression?: MultifdCompression;
  /** multifd-zlib-level (QEMU default 1). */
  zlibLevel?: number;
  /** multifd-zstd-level (QEMU default 1). */
  zstdLevel?: number;
  /** max-bandwidth in bytes/s. Default 100 GiB/s (effectively unlimited), as in the captures. */
  maxBandwidth?: number;
  /** downtime-limit in ms (QEMU default 300). */
  downtimeLimitMs?: number;
}

/** `query-migrate`'s answer; fields are absent when QEMU has nothing to say (a destination before the migration starts has no `status`). */
export interface MigrationInfo {
  status?: string;
  'total-time'?: number;
  'setup-time'?: number;
  downtime?: number;
  'error-desc'?: string;
  ram?: { total: number; transferred: number; 'normal-bytes': number; normal: number; duplicate: number; mbps: number; [key: string]: unknown };
  'socket-address'?: Array<{ type: string; host?: string; port?: string; [key: string]: unknown }>;
  [key: string]: unknown;
}

/** 100 GiB/s: QEMU's default limit (32 MiB/s) would make every benchmark measure the limit. */
export const UNLIMITED_BANDWIDTH = 100 * 1024 ** 3;

export async function setMigrationCapabilities(vm: QmpPeer, capabilities: Record<string, boolean>): Promise<void> {
  await vm.qmp.execute('migrate-set-capabilities', {
    capabilities: Object.entries(capabilities).map(([capability, state]) => ({ capability, state })),
  });
}

export async function setMigrationParameters(vm: QmpPeer, parameters: Record<string, unknown>): Promise<void> {
  await vm.qmp.execute('migrate-set-parameters', parameters);
}

/** The `migrate-set-parameters` arguments for `settings`. */
export function multifdParameters(settings: MultifdSettings = {}): Record<string, unknown> {
  const parameters: Record<string, unknown> = {
    'multifd-channels': settings.channels ?? 2,
    'multifd-compression': settings.compression ?? 'none',
    'max-bandwidth': settings.maxBandwidth ?? UNLIMITED_BANDWIDTH,
  };
  if (settings.zlibLevel !== undefined) parameters['multifd-zlib-level'] = settings.zlibLevel;
  if (settings.zstdLevel !== undefined) parameters['multifd-zstd-level'] = settings.zstdLevel;
  if (settings.downtimeLimitMs !== undefined) parameters['downtime-limit'] = settings.downtimeLimitMs;
  return parameters;
}

/** Enable the multifd capability and set the multifd parameters (do it on both sides). */
export async function configureMultifd(vm: QmpPeer, settings: MultifdSettings = {}): Promise<void> {
  await setMigrationCapabilities(vm, { multifd: true });
  await setMigrationParameters(vm, multifdParameters(settings));
}

export function queryMigrate(vm: QmpPeer, options: { timeoutMs?: number } = {}): Promise<MigrationInfo> {
  return vm.qmp.execute<MigrationInfo>('query-migrate', undefined, options);
}

/**
 * `migrate-incoming` on a destination started with `-incoming defer`. Returns
 * the URI to migrate to: with `tcp:HOST:0` (the default) QEMU picks a free
 * port, read back from `query-migrate`'s `socket-address`.
 */
export async function migrateIncoming(dest: QmpPeer, uri = 'tcp:127.0.0.1:0'): Promise<string> {
  await dest.qmp.execute('migrate-incoming', { uri });
  if (!/^tcp:.*:0$/.test(uri)) return uri;
  const info = await queryMigrate(dest);
  const inet = info['socket-address']?.find((address) => address.type === 'inet' && address.port !== undefined);
  if (!inet) {
    throw new QemuHarnessError('ERR_QEMU_QMP_PROTOCOL', `${dest.name ?? 'destination'}: no listening port in query-migrate: ${JSON.stringify(info)}`);
  }
  return `tcp:${inet.host}:${inet.port}`;
}

export async function migrate(source: QmpPeer, uri: string): Promise<void> {
  await source.qmp.execute('migrate', { uri });
}

const FAILED = new Set(['failed', 'cancelled']);

/**
 * Poll `query-migrate` until `completed` (returns that answer) or
 * `failed`/`cancelled` (throws ERR_QEMU_MIGRATION_FAILED with QEMU's
 * `error-desc`). Throws ERR_QEMU_MIGRATION_TIMEOUT after `timeoutMs`,
 * including when QEMU stops answering QMP (a hung 7.2 destination does).
 */
export async function waitForMigration(vm: QmpPeer, options: { timeoutMs: number; pollIntervalMs?: number }): Promise<MigrationInfo> {
  const who = vm.name ?? 'QEMU';
  const deadline = Date.now() + options.timeoutMs;
  let last: MigrationInfo | undefined;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new MigrationError('ERR_QEMU_MIGRATION_TIMEOUT', `${who}: migration not finished after ${options.timeoutMs} ms (last status ${last?.status ?? 'none'})`, last);
    }
    try {
      last = await queryMigrate(vm, { timeoutMs: Math.min(remaining, vm.qmp.commandTimeoutMs) });
    } catch (error) {
      if (!QemuHarnessError.is(error, 'ERR_QEMU_QMP_TIMEOUT')) throw error;
      throw new MigrationError('ERR_QEMU_MIGRATION_TIMEOUT', `${who}: query-migrate got no answer (QEMU hung?)`, last, { cause: error });
    }
    if (last.status === 'completed') return last;
    if (last.status !== undefined && FAILED.has(last.status)) {
      throw new MigrationError('ERR_QEMU_MIGRATION_FAILED', `${who}: migration ${last.status}: ${last['error-desc'] ?? 'no error-desc'}`, last);
    }
    await sleep(Math.min(options.pollIntervalMs ?? 50, Math.max(0, deadline - Date.now())));
  }
}
