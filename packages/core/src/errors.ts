/**
 * Typed errors. Every failure the project reports has a stable `code`; the
 * table below is the one place they are defined. Identity checks go through
 * `MultifdError.is()`, which uses a `Symbol.for` brand so that errors thrown by
 * another copy of this package (a plugin with its own node_modules) still match.
 */

/** Every error code, with what it means. */
export const ERROR_CODES = {
  ERR_MULTIFD_BAD_MAGIC: 'a packet or stream does not start with its magic number',
  ERR_MULTIFD_BAD_VERSION: 'a packet carries a protocol version other than 1',
  ERR_MULTIFD_TRUNCATED: 'a stream or buffer ends in the middle of a header, record or payload',
  ERR_MULTIFD_PAGES_ALLOC: 'pages_alloc is larger than 128',
  ERR_MULTIFD_NORMAL_PAGES: 'normal_pages (+ zero_pages) is larger than pages_alloc',
  ERR_MULTIFD_BAD_FLAGS: 'a packet has flag bits this implementation does not know',
  ERR_MULTIFD_METHOD_MISMATCH: 'a packet with pages uses another compression method than the migration',
  ERR_MULTIFD_UNKNOWN_METHOD: 'no codec is registered for a method value or name',
  ERR_MULTIFD_METHOD_RANGE: 'a method value outside 0-7',
  ERR_MULTIFD_METHOD_TAKEN: 'a method value is already registered',
  ERR_MULTIFD_UNKNOWN_RAMBLOCK: 'a packet or record names a RAMBlock the receiver does not have',
  ERR_MULTIFD_OFFSET_RANGE: 'a page offset lies past the end of its RAMBlock',
  ERR_MULTIFD_OFFSET_ALIGN: 'a page offset is not a multiple of 4096',
  ERR_MULTIFD_PAYLOAD_SIZE: 'a payload is larger than allowed or decodes to more or fewer bytes than its pages',
  ERR_MULTIFD_CORRUPT_PAYLOAD: 'a compressed payload cannot be decoded',
  ERR_MULTIFD_BAD_RAMBLOCK_NAME: 'a RAMBlock name is empty, too long or not NUL-terminated',
  ERR_MULTIFD_UUID_MISMATCH: 'a channel carries another VM uuid than the receiver expects',
  ERR_MULTIFD_CHANNEL_ID: 'a channel id is outside 0 .. channels-1',
  ERR_MULTIFD_DUPLICATE_CHANNEL: 'two channels carry the same id',
  ERR_MULTIFD_BAD_OPTION: 'an option has a value outside its range',
  ERR_MULTIFD_STATE: 'a codec hook was called in the wrong state (e.g. after cleanup)',
  ERR_MULTIFD_MAIN_STREAM: 'the main migration stream is malformed',
  ERR_MULTIFD_UNSUPPORTED: 'the stream uses a feature this implementation does not handle',
  ERR_MULTIFD_SYNC_MISMATCH: 'channels and the main stream disagree on the number of syncs',
  ERR_MULTIFD_STREAM_KIND: 'a stream is neither a main stream (QEVM) nor a multifd channel',
  ERR_MULTIFD_INCOMPLETE: 'a migration ended before every page or sync arrived',
  ERR_MULTIFD_TOO_LARGE: 'a size is beyond the configured limit',
  ERR_MULTIFD_IO: 'reading or writing a file failed',
  ERR_MULTIFD_USAGE: 'a command line is wrong',
  ERR_MULTIFD_TIMEOUT: 'a peer did not answer in time',
  ERR_MULTIFD_CONNECTION: 'a connection failed or closed early',
  ERR_MULTIFD_TLS: "a TLS handshake failed or a peer's certificate was refused (missing, untrusted, for another name, or not in the allowed list)",
  ERR_MULTIFD_CANCELLED: 'the transfer was cancelled because of an error elsewhere',
  ERR_MULTIFD_WORKER: 'a channel worker thread failed',
  ERR_MULTIFD_VERIFY: 'data decoded back differs from what was encoded',
} as const;

export type MultifdErrorCode = keyof typeof ERROR_CODES;

/** Where an error happened. All fields optional; they end up in the message. */
export interface ErrorLocation {
  /** File the bytes came from. */
  file?: string;
  /** Multifd channel id. */
  channel?: number;
  /** Packet index within its channel (0 = first packet after the initial packet). */
  packet?: number;
  /** Byte offset within the stream or file. */
  byteOffset?: number;
  /** Stream name when it is not a file ("main", "ch1", a socket address). */
  stream?: string;
}

const BRAND = Symbol.for('@multifd/core:MultifdError');

function describe(location: ErrorLocation): string {
  const parts: string[] = [];
  if (location.file !== undefined) parts.push(location.file);
  else if (location.stream !== undefined) parts.push(location.stream);
  if (location.channel !== undefined) parts.push(`channel ${location.channel}`);
  if (location.packet !== undefined) parts.push(`packet ${location.packet}`);
  if (location.byteOffset !== undefined) parts.push(`byte ${location.byteOffset}`);
  return parts.join(', ');
}

/** The one error class of the project; `code` says what went wrong. */
export class MultifdError extends Error {
  readonly code: MultifdErrorCode;
  /** The message without the location suffix. */
  readonly detail: string;
  readonly location: Readonly<ErrorLocation>;

  constructor(code: MultifdErrorCode, detail: string, location: ErrorLocation = {}, options?: { cause?: unknown }) {
    const where = describe(location);
    super(where ? `${detail} (${where})` : detail, options);
    this.name = 'MultifdError';
    this.code = code;
    this.detail = detail;
    this.location = { ...location };
    Object.defineProperty(this, BRAND, { value: true });
  }

  /**
   * A copy of this error with more location filled in. Fields already set win:
   * the innermost layer knows best where it was.
   */
  at(location: ErrorLocation): MultifdError {
    const merged: ErrorLocation = { ...location, ...this.location };
    const copy = new MultifdError(this.code, this.detail, merged, { cause: this.cause });
    copy.stack = this.stack;
    return copy;
  }

  /** True for a MultifdError from any copy of this package, optionally of one code. */
  static is(error: unknown, code?: MultifdErrorCode): error is MultifdError {
    if (typeof error !== 'object' || error === null) return false;
    if ((error as Record<symbol, unknown>)[BRAND] !== true) return false;
    return code === undefined || (error as MultifdError).code === code;
  }

  /** Wrap anything thrown into a MultifdError of `code` (MultifdErrors pass through). */
  static wrap(error: unknown, code: MultifdErrorCode, location: ErrorLocation = {}): MultifdError {
    if (MultifdError.is(error)) return error.at(location);
    const text = error instanceof Error ? error.message : String(error);
    return new MultifdError(code, text.split('\n')[0] ?? text, location, { cause: error });
  }

  toJSON(): { code: MultifdErrorCode; message: string; location: ErrorLocation } {
    return { code: this.code, message: this.message, location: { ...this.location } };
  }
}
