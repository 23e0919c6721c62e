/**
 * Typed errors of the QEMU harness. Every failure has a stable `code` from the
 * table below. `QemuHarnessError.is()` checks a `Symbol.for` brand, so errors
 * from another copy of this package still match.
 */

/** Every error code, with what it means. */
export const HARNESS_ERROR_CODES = {
  ERR_QEMU_START: 'QEMU could not be started (binary missing, bad arguments)',
  ERR_QEMU_EXITED: 'QEMU exited before its QMP socket was ready',
  ERR_QEMU_KILL: 'QEMU did not exit even after SIGKILL',
  ERR_QEMU_QMP_CONNECT: 'the QMP socket did not accept a connection or send a greeting in time',
  ERR_QEMU_QMP_PROTOCOL: 'the QMP peer sent something that is not a QMP message',
  ERR_QEMU_QMP_CLOSED: 'the QMP connection closed (QEMU exited or close() was called)',
  ERR_QEMU_QMP_TIMEOUT: 'a QMP command or event did not come in time (a hung QEMU stops answering)',
  ERR_QEMU_QMP_COMMAND: 'QEMU answered a QMP command with an error',
  ERR_QEMU_MIGRATION_FAILED: 'a migration ended in "failed" or "cancelled"',
  ERR_QEMU_MIGRATION_TIMEOUT: 'a migration did not finish before its hard timeout',
} as const;

export type HarnessErrorCode = keyof typeof HARNESS_ERROR_CODES;

const BRAND = Symbol.for('@multifd/qemu-harness:QemuHarnessError');

/** The base error of the harness; `code` says what went wrong. */
export class QemuHarnessError extends Error {
  readonly code: HarnessErrorCode;

  constructor(code: HarnessErrorCode, message: string, options?: { cause?: unknown }) {
    super(`[qemu-harness] ${message}`, options);
    this.name = 'QemuHarnessError';
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** True for a harness error (from any copy of this package), optionally with this code. */
  static is(error: unknown, code?: HarnessErrorCode): error is QemuHarnessError {
    if (typeof error !== 'object' || error === null || !(BRAND in error)) return false;
    return code === undefined || (error as { code?: unknown }).code === code;
  }
}

/** QEMU answered `{"error": {"class", "desc"}}`. */
export class QmpCommandError extends QemuHarnessError {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    /** QEMU's own text, unchanged. */
    readonly desc: string,
  ) {
    super('ERR_QEMU_QMP_COMMAND', `${command}: ${errorClass}: ${desc}`);
    this.name = 'QmpCommandError';
  }
}

/** No answer (or event) within `timeoutMs`. */
export class QmpTimeoutError extends QemuHarnessError {
  constructor(
    /** The command, or `event NAME` for an event wait. */
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super('ERR_QEMU_QMP_TIMEOUT', `${command}: no answer from QEMU within ${timeoutMs} ms`);
    this.name = 'QmpTimeoutError';
  }
}

/** A migration failed or timed out; `info` is the last `query-migrate` answer seen. */
export class MigrationError extends QemuHarnessError {
  constructor(
    code: 'ERR_QEMU_MIGRATION_FAILED' | 'ERR_QEMU_MIGRATION_TIMEOUT',
    message: string,
    readonly info: Readonly<Record<string, unknown>> | undefined,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'MigrationError';
  }
}
