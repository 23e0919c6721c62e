/**
 * Where a command's output goes. `main()` takes one of these so that tests
 * run commands in-process with captured streams; the bin passes the
 * process's own.
 */

/** The part of a writable stream a command uses. */
export interface OutputStream {
  write(text: string): unknown;
  /** True for a terminal: only then is a progress bar drawn. */
  isTTY?: boolean;
  /** Terminal width, when known. */
  columns?: number;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  /** Directory that relative paths are resolved against (default process.cwd()). */
  cwd?: string;
  /** Environment (default process.env); MULTIFD_DEBUG=1 adds stack traces to errors. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Aborting it stops a running command (the bin aborts on SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

/** The process's own streams. */
export function processIo(signal?: AbortSignal): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, ...(signal ? { signal } : {}) };
}
