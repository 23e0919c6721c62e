/**
 * Turning a failure into the one line a user sees and an exit code.
 * MultifdErrors print as `multifd: <code>: <message>` (the message says
 * where: file, channel, packet, byte offset); anything else is a bug and
 * prints as ERR_MULTIFD_INTERNAL. No stack trace unless MULTIFD_DEBUG is set.
 */
import { MultifdError } from '@multifd/core';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** The single line printed on stderr for `error` (newline included). */
export function errorLine(error: unknown): string {
  const code = MultifdError.is(error) ? error.code : 'ERR_MULTIFD_INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  return `multifd: ${code}: ${message.replace(/\s*\n\s*/g, ' ').trim()}\n`;
}

export function exitCodeFor(error: unknown): number {
  if (MultifdError.is(error, 'ERR_MULTIFD_USAGE')) return EXIT_USAGE;
  if (MultifdError.is(error, 'ERR_MULTIFD_CANCELLED') && error.detail === INTERRUPTED) return EXIT_INTERRUPTED;
  return EXIT_FAILURE;
}

/** Detail of the error the bin aborts with on SIGINT/SIGTERM. */
export const INTERRUPTED = 'interrupted';

export function interruptedError(signal: string): MultifdError {
  return new MultifdError('ERR_MULTIFD_CANCELLED', INTERRUPTED, { stream: signal });
}
