/**
 * Creating an output folder and its missing parents. Not fs.mkdir's
 * `recursive` option: on some paths (anything under /proc on Linux) Node's
 * recursive mkdir loops forever instead of failing, and a command must not
 * hang on a bad --out. One mkdir per missing component, each failure typed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MultifdError } from '@multifd/core';

/** Make `dir` and its missing parents; an existing directory is fine. ERR_MULTIFD_IO names the path that could not be made. */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let at = path.resolve(dir);
  for (;;) {
    const stat = statOrUndefined(at);
    if (stat) {
      if (!stat.isDirectory()) throw new MultifdError('ERR_MULTIFD_IO', 'is not a directory', { file: at });
      break;
    }
    missing.push(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statOrUndefined(d)?.isDirectory()) continue;
      throw ioError(e, d, 'cannot create the directory');
    }
  }
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError(e, p, 'cannot look at');
  }
}

function ioError(e: unknown, file: string, what: string): MultifdError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOTDIR') return new MultifdError('ERR_MULTIFD_IO', 'a part of the path is not a directory', { file }, { cause: e });
  return new MultifdError('ERR_MULTIFD_IO', `${what}${code ? ` (${code})` : ''}`, { file }, { cause: e });
}
