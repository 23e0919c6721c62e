/** Files that appear whole or not at all: written to a temporary name, synced, renamed. */
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MultifdError } from '@multifd/core';
import { checkOutputDir } from './output-paths.js';

export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw MultifdError.wrap(e, 'ERR_MULTIFD_IO', { file });
  }
}

/**
 * Create an output directory (checked writable: see output-paths.ts) and remove the index file an earlier run left
 * there: the index is written last (writeFileAtomic), so a run that fails
 * leaves a directory without one, never one that looks complete.
 */
export async function prepareOutputDir(dir: string, indexFile: string, option = '--out'): Promise<void> {
  checkOutputDir(dir, option);
  try {
    await rm(join(dir, indexFile), { force: true });
  } catch (e) {
    throw MultifdError.wrap(e, 'ERR_MULTIFD_IO', { file: dir });
  }
}
