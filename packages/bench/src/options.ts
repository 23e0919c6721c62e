/**
 * Options of the decode benchmark, from argv and MULTIFD_BENCH_* variables
 * (argv wins). Sizes take K/M/G suffixes (powers of 1024).
 */
import { PAGE_SIZE } from '@multifd/core';

/** zlib-node: zlib with the node:zlib backend (the CLI's send and receive default), the same wire stream. */
export const CODEC_NAMES = ['nocomp', 'zlib', 'zlib-node', 'zstd'] as const;
export type CodecName = (typeof CODEC_NAMES)[number];

export interface BenchOptions {
  /** Guest RAM in bytes (a multiple of 4096). */
  size: number;
  codecs: CodecName[];
  /** Repetitions of every measurement; medians are reported. */
  reps: number;
  channels: number;
  /** Seed of the memory image. */
  seed: string;
  /** Bytes per read of the files fed to the decoder. */
  readChunk: number;
  /** How the decoder reads them: core's fileChunks, or fs.createReadStream for comparison. */
  reader: 'chunks' | 'stream';
  /** Parent of the temporary directory (default: the OS temp dir). */
  dir?: string;
  /** Keep the migration files and decoded output. */
  keep: boolean;
  /** Print JSON on stdout instead of the table. */
  json: boolean;
  /** Also write the JSON result to this file. */
  out?: string;
}

export const DEFAULT_OPTIONS: BenchOptions = {
  size: 1024 ** 3,
  codecs: [...CODEC_NAMES],
  reps: 3,
  channels: 2,
  seed: 'multifd-decode-bench',
  readChunk: 1024 ** 2,
  reader: 'chunks',
  keep: false,
  json: false,
};

export const USAGE = `usage: npm run bench -- [options]
  --size N        guest RAM, e.g. 1G (default), 256M, 4M      env MULTIFD_BENCH_SIZE
  --codecs LIST   nocomp,zlib,zlib-node,zstd (default all)      env MULTIFD_BENCH_CODECS
  --reps N        repetitions per measurement, medians (default 3) env MULTIFD_BENCH_REPS
  --channels N    multifd channels (default 2)
  --seed TEXT     memory image seed
  --read-chunk N  bytes per read of the decoder's input files (default 1M)
  --reader R      chunks (core's fileChunks, default) or stream (fs.createReadStream)
  --dir DIR       where the temporary files go (default: OS temp dir)
  --keep          keep the migration files and decoded output
  --json          print the result as JSON instead of the table
  --out FILE      also write the JSON result to FILE`;

/** "1G", "256M", "64KiB", "4096" -> bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) throw new Error(`not a size: ${JSON.stringify(text)}`);
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * scale);
}

function positiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

function codecList(text: string): CodecName[] {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(CODEC_NAMES as readonly string[]).includes(n)) throw new Error(`unknown codec ${JSON.stringify(n)} (known: ${CODEC_NAMES.join(', ')})`);
  }
  if (names.length === 0) throw new Error('no codec selected');
  return names as CodecName[];
}

/** Parse argv (without node and the script) and the environment; `help` when --help was given. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv = {}): BenchOptions | 'help' {
  const o: BenchOptions = { ...DEFAULT_OPTIONS, codecs: [...DEFAULT_OPTIONS.codecs] };
  if (env.MULTIFD_BENCH_SIZE) o.size = parseSize(env.MULTIFD_BENCH_SIZE);
  if (env.MULTIFD_BENCH_CODECS) o.codecs = codecList(env.MULTIFD_BENCH_CODECS);
  if (env.MULTIFD_BENCH_REPS) o.reps = positiveInt(env.MULTIFD_BENCH_REPS, 'MULTIFD_BENCH_REPS');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--help':
      case '-h':
        return 'help';
      case '--size':
        o.size = parseSize(value());
        break;
      case '--codecs':
      case '--codec':
        o.codecs = codecList(value());
        break;
      case '--reps':
        o.reps = positiveInt(value(), '--reps');
        break;
      case '--channels':
        o.channels = positiveInt(value(), '--channels');
        break;
      case '--seed':
        o.seed = value();
        break;
      case '--read-chunk':
        o.readChunk = parseSize(value());
        break;
      case '--reader': {
        const r = value();
        if (r !== 'chunks' && r !== 'stream') throw new Error(`--reader must be chunks or stream, got ${JSON.stringify(r)}`);
        o.reader = r;
        break;
      }
      case '--dir':
        o.dir = value();
        break;
      case '--keep':
        o.keep = true;
        break;
      case '--json':
        o.json = true;
        break;
      case '--out':
        o.out = value();
        break;
      default:
        throw new Error(`unknown option ${JSON.stringify(arg)}\n${USAGE}`);
    }
  }
  if (o.size < PAGE_SIZE || o.size % PAGE_SIZE !== 0) throw new Error(`--size must be a positive multiple of ${PAGE_SIZE}, got ${o.size}`);
  if (o.channels > 255) throw new Error(`--channels must be 1..255, got ${o.channels}`);
  if (o.readChunk < 1) throw new Error('--read-chunk must be positive');
  return o;
}
