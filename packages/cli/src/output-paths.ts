/**
 * Output paths are checked before any work starts: a compare of many
 * minutes, or a migration, must not fail at its end on a folder that cannot
 * be written. Errors are ERR_MULTIFD_IO and name the option.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MultifdError } from '@multifd/core';
import { makeDirectory } from '@multifd/transport';

/** `dir` exists (made with its parents if missing) and a file can be created in it. */
export function checkOutputDir(dir: string, option: string): void {
  try {
    makeDirectory(dir);
  } catch (e) {
    throw new MultifdError('ERR_MULTIFD_IO', `${option} ${dir}: ${MultifdError.is(e) ? e.message : String(e)}`, {}, { cause: e });
  }
  probeWrite(dir, option, dir);
}

/** `file` can be written: its folder exists and takes files, and it is not a folder itself. */
export function checkOutputFile(file: string, option: string): void {
  const dir = path.dirname(file);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new MultifdError('ERR_MULTIFD_IO', `${option} ${file}: the folder ${dir} does not exist`);
  }
  if (!stat.isDirectory()) throw new MultifdError('ERR_MULTIFD_IO', `${option} ${file}: ${dir} is not a folder`);
  if (fs.statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw new MultifdError('ERR_MULTIFD_IO', `${option} ${file}: is a folder`);
  probeWrite(dir, option, file);
}

function probeWrite(dir: string, option: string, shown: string): void {
  const probe = path.join(dir, `.multifd-probe-${process.pid}`);
  try {
    fs.writeFileSync(probe, '');
    fs.rmSync(probe, { force: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new MultifdError('ERR_MULTIFD_IO', `${option} ${shown}: cannot write in ${dir}${code ? ` (${code})` : ''}`, {}, { cause: e });
  }
}
