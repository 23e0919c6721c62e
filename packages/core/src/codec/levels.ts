/** Compression level checks shared by codecs. */
import { MultifdError } from '../errors.js';
import type { AnyMultiFDMethods } from './methods.js';

/** The level a channel uses: `level`, or the codec's default; out-of-range is ERR_MULTIFD_BAD_OPTION. */
export function resolveLevel(methods: Pick<AnyMultiFDMethods, 'name' | 'levels'>, level: number | undefined): number | undefined {
  const range = methods.levels;
  if (!range) {
    if (level !== undefined) throw new MultifdError('ERR_MULTIFD_BAD_OPTION', `${methods.name} has no compression levels (got ${level})`);
    return undefined;
  }
  if (level === undefined) return range.default;
  if (!Number.isInteger(level) || level < range.min || level > range.max) {
    throw new MultifdError('ERR_MULTIFD_BAD_OPTION', `${methods.name} level ${level} is outside ${range.min}-${range.max}`);
  }
  return level;
}
