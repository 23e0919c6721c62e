/**
 * One QEMU → QEMU multifd migration from start to end: destination with
 * `-incoming defer`, multifd set on both sides before `migrate-incoming`,
 * `migrate`, wait for `completed` on both sides.
 */
import { configureMultifd, migrate, migrateIncoming, waitForMigration, type MigrationInfo, type MultifdSettings } from './migration.js';
import { startQemu, type QemuOptions, type QemuVm } from './qemu.js';

export interface MigratePairOptions {
  /** Options for both VMs (memory, loaders, binary, …). */
  vm?: QemuOptions;
  /** Overrides for the source only. */
  source?: QemuOptions;
  /** Overrides for the destination only (it always gets `-incoming defer`). */
  destination?: QemuOptions;
  multifd?: MultifdSettings;
  /** Where the destination listens. Default `tcp:127.0.0.1:0` (QEMU picks the port). */
  uri?: string;
  /** Hard timeout of the migration, per side. Default 60 s. */
  timeoutMs?: number;
  /** Called when both sides are ready, just before `migrate` (e.g. to wait for a quiet CPU). */
  beforeMigrate?: (source: QemuVm, destination: QemuVm) => unknown;
}

export interface MigratedPair {
  source: QemuVm;
  destination: QemuVm;
  /** The source's final `query-migrate` (`total-time`, `ram`, …). */
  sourceInfo: MigrationInfo;
  destinationInfo: MigrationInfo;
  /** Wall-clock ms from sending `migrate` to seeing `completed` on the source. */
  wallMs: number;
  /** Kill both VMs. */
  kill(): Promise<void>;
}

/**
 * Start both VMs and migrate. Returns with both VMs still running (paused) for
 * inspection; on any failure kills both and rethrows with their output appended.
 */
export async function migratePair(options: MigratePairOptions = {}): Promise<MigratedPair> {
  const started: QemuVm[] = [];
  const kill = async (): Promise<void> => {
    await Promise.allSettled(started.map((vm) => vm.kill()));
  };
  try {
    const destination = await startQemu({ name: 'destination', ...options.vm, ...options.destination, incomingDefer: true });
    started.push(destination);
    const source = await startQemu({ name: 'source', ...options.vm, ...options.source });
    started.push(source);
    await configureMultifd(destination, options.multifd);
    await configureMultifd(source, options.multifd);
    const uri = await migrateIncoming(destination, options.uri);
    const timeoutMs = options.timeoutMs ?? 60_000;
    await options.beforeMigrate?.(source, destination);
    const begin = performance.now();
    await migrate(source, uri);
    const sourceInfo = await waitForMigration(source, { timeoutMs });
    const wallMs = performance.now() - begin;
    const destinationInfo = await waitForMigration(destination, { timeoutMs });
    return { source, destination, sourceInfo, destinationInfo, wallMs, kill };
  } catch (error) {
    await kill();
    if (error instanceof Error) {
      for (const vm of started) error.message += `\n${vm.name} output: ${vm.stderr().trim() || '(none)'}`;
    }
    throw error;
  }
}
