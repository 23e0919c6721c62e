export { HARNESS_ERROR_CODES, MigrationError, QemuHarnessError, QmpCommandError, QmpTimeoutError, type HarnessErrorCode } from './errors.js';
export { QmpClient, type QmpConnectOptions, type QmpEvent, type QmpExecuteOptions, type QmpGreeting } from './qmp-client.js';
export { qemuArgs, type Loader, type QemuArgsOptions } from './qemu-args.js';
export { DEFAULT_QEMU_BINARY, startQemu, type QemuOptions, type QemuVm } from './qemu.js';
export { exited, terminate, type ExitInfo } from './terminate.js';
export { killAllQemu, liveQemuCount } from './tracker.js';
export { DEV_BLOB, FIXTURES_DIR, HLT_BIOS, fixturePath } from './fixtures.js';
