export { HARNESS_ERROR_CODES, MigrationError, QemuHarnessError, QmpCommandError, QmpTimeoutError, type HarnessErrorCode } from './errors.js';
export { QmpClient, type QmpConnectOptions, type QmpEvent, type QmpExecuteOptions, type QmpGreeting } from './qmp-client.js';
