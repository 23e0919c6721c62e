/** Is QEMU installed, and which version is it? */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DEFAULT_QEMU_BINARY } from './qemu.js';

const run = promisify(execFile);

export interface QemuVersion {
  major: number;
  minor: number;
  micro: number;
  /** The first line of `--version`, e.g. `QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)`. */
  text: string;
}

/** `binary --version`, parsed; undefined if it cannot run or says something else. */
export async function qemuVersion(binary = DEFAULT_QEMU_BINARY, options: { env?: NodeJS.ProcessEnv } = {}): Promise<QemuVersion | undefined> {
  try {
    const { stdout } = await run(binary, ['--version'], { timeout: 10_000, env: options.env ?? process.env });
    const text = stdout.split('\n')[0]!.trim();
    const match = /version (\d+)\.(\d+)\.(\d+)/.exec(text);
    if (!match) return undefined;
    return { major: Number(match[1]), minor: Number(match[2]), micro: Number(match[3]), text };
  } catch {
    return undefined;
  }
}

/** True if `binary` runs and reports a QEMU version. */
export async function qemuAvailable(binary = DEFAULT_QEMU_BINARY, options: { env?: NodeJS.ProcessEnv } = {}): Promise<boolean> {
  return (await qemuVersion(binary, options)) !== undefined;
}

/**
 * Throws, with a message that says how to install it, unless `version` (from
 * `qemuVersion()`) is there and, when `want` is given, is that major.minor.
 * For real-QEMU test suites, which must fail rather than skip without QEMU.
 */
export function requireQemuVersion(version: QemuVersion | undefined, want?: { major: number; minor: number }, binary = DEFAULT_QEMU_BINARY): QemuVersion {
  const wanted = want ? `QEMU ${want.major}.${want.minor}` : 'QEMU';
  if (!version) {
    throw new Error(`${binary} not found or not runnable: the real-QEMU tests need ${wanted} (Debian bookworm: apt-get install qemu-system-x86; .ci/run installs it)`);
  }
  if (want && (version.major !== want.major || version.minor !== want.minor)) {
    throw new Error(`the real-QEMU tests need ${wanted}, but ${binary} is ${version.text}`);
  }
  return version;
}
