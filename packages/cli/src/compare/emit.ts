/**
 * `compare --emit DIR`: each row's streams kept as
 * DIR/<method>[-l<level>]-<n>ch/{main.bin,ch<id>.bin}, exactly as they went
 * on the wire. A row is written under a hidden partial name and renamed into
 * place only once it has been decoded back and verified, so a directory with
 * the final name is always a complete, checked migration; DIR/compare.json
 * (the result) is written last, once every row passed.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { MultifdError, wireProfile } from '@multifd/core';
import type { RowSpec } from './plan.js';

/** Written last into the --emit directory, only when every row passed. */
export const EMIT_INDEX = 'compare.json';

/** The row's directory name: "zstd-l3-2ch", "nocomp-1ch", "zstd-l1-2ch-qemu10" (the qemu-10 profile). */
export function rowDirName(spec: Pick<RowSpec, 'method' | 'level' | 'channels' | 'profile'>): string {
  return `${spec.method}${spec.level !== undefined ? `-l${spec.level}` : ''}-${spec.channels}ch${wireProfile(spec.profile).fileSuffix}`;
}

/** A fresh partial directory for the row under `emitDir`. */
export async function emitRowDir(emitDir: string, spec: RowSpec): Promise<string> {
  const dir = path.join(emitDir, `.${rowDirName(spec)}.partial-${process.pid}`);
  try {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir); // emitDir exists: prepareOutputDir made it
  } catch (e) {
    throw MultifdError.wrap(e, 'ERR_MULTIFD_IO', { file: dir });
  }
  return dir;
}

/** Move the verified row into place (replacing an older one); returns its final path. */
export async function finishRowDir(emitDir: string, spec: RowSpec, partial: string): Promise<string> {
  const final = path.join(emitDir, rowDirName(spec));
  try {
    await rm(final, { recursive: true, force: true });
    await rename(partial, final);
  } catch (e) {
    throw MultifdError.wrap(e, 'ERR_MULTIFD_IO', { file: final });
  }
  return final;
}

/** Remove what is left of a partial row (nothing after finishRowDir). */
export async function removeRowDir(partial: string): Promise<void> {
  await rm(partial, { recursive: true, force: true }).catch(() => undefined);
}
