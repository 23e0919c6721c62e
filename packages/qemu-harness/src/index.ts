export { HARNESS_ERROR_CODES, MigrationError, QemuHarnessError, QmpCommandError, QmpTimeoutError, type HarnessErrorCode } from './errors.js';
export { QmpClient, type QmpConnectOptions, type QmpEvent, type QmpExecuteOptions, type QmpGreeting } from './qmp-client.js';
export { qemuArgs, type Loader, type QemuArgsOptions } from './qemu-args.js';
export { DEFAULT_QEMU_BINARY, startQemu, type QemuOptions, type QemuVm } from './qemu.js';
export { exited, terminate, type ExitInfo } from './terminate.js';
export { killAllQemu, liveQemuCount } from './tracker.js';
export {
  UNLIMITED_BANDWIDTH,
  configureMultifd,
  migrate,
  migrateIncoming,
  multifdParameters,
  queryMigrate,
  setMigrationCapabilities,
  setMigrationParameters,
  waitForMigration,
  type MigrationInfo,
  type MultifdCompression,
  type MultifdSettings,
  type QmpPeer,
} from './migration.js';
export { migratePair, type MigratePairOptions, type MigratedPair } from './migrate-pair.js';
export { hmp, pmemsave, readGuestMemory } from './monitor.js';
export { guestRanges, pcRamOffset, placeCopies, writeBlobFile, type BlobPlacement, type GuestRange } from './blob.js';
export { BENCH_MIX, mixedPages, type PageKind, type PageMix } from './page-mix.js';
export { qemuAvailable, qemuVersion, requireQemuVersion, type QemuVersion } from './availability.js';
export { DEV_BLOB, FIXTURES_DIR, HLT_BIOS, fixturePath } from './fixtures.js';
export { cpuShares, cpuSnapshot, processCpuSeconds, waitForQuietCpu, type CpuShares, type CpuSnapshot } from './cpu-idle.js';
export { makeTestPki, qemuTlsDir, type CertFiles, type TestPki } from './pki.js';
export { cliMainBody, runWithPeakRss, type MeasuredRun } from './peak-rss.js';
