/**
 * `multifd compare [options] [INPUT...]`: which codec pays off on this
 * memory, and by how much. Every row (method, level, channel count) runs the
 * input through the transport's real per-channel pipeline, decodes it back
 * with the transport's channel workers and checks it byte for byte.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { PAGE_SIZE, WIRE_PROFILES, wireProfile } from '@multifd/core';
import { senderBlocks, type FileBlockInput, type SenderBlock } from '@multifd/transport';
import { booleanOption, stringOption, usageError } from '../args.js';
import { writeFileAtomic } from '../atomic-file.js';
import { defineCommand, type OptionValues } from '../command.js';
import { renderSvg } from '../compare/chart.js';
import { loadInputs, type LoadInputsOptions } from '../compare/inputs.js';
import { LEVEL_SPEC, parseLevels, planRows, type RowSpec, type ZlibBackend } from '../compare/plan.js';
import { loadCompareCodecs } from '../compare/plugins.js';
import { LINKS_GBPS, formatCsv, formatJson, formatMarkdown, formatTable, withProjections, type CompareResult, type TableOptions } from '../compare/report.js';
import { rowBuffers, runRow, type RowMeasurement, type RunRowOptions } from '../compare/run-row.js';
import { SAMPLE_REGION, SAMPLE_SEED_DEFAULT, planSample, project, regionCosts, sampleBytesOf, scanRegions, writeSampleBlocks, zeroPageCost, type SamplePlan } from '../compare/sampling.js';
import { DEFAULT_SAMPLE_SIZE, SAMPLE_BLOCK, SAMPLE_SEED, isPageMultiple, parseByteSize, writeSample } from '../compare/sample.js';
import { EMIT_INDEX, emitRowDir, finishRowDir, removeRowDir } from '../compare/emit.js';
import { prepareOutputDir } from '../atomic-file.js';
import { checkOutputFile } from '../output-paths.js';
import type { CliIo } from '../io.js';
import { createProgress } from '../progress.js';
import { makeTempDir, removeTempDir } from '../temp-dirs.js';

const MAX_SAMPLE = 64 * 1024 ** 3;

export const compareCommand = defineCommand({
  name: 'compare',
  summary: 'compare codecs, levels and channel counts on memory: ratio, speed, projected migration time',
  usage: '[--levels SPEC] [--methods LIST] [--channels LIST] [--profiles LIST] [--plugin MODULE] [--json|--csv|--markdown] [--svg FILE] [--emit DIR] [INPUT...]',
  description: `
Each row sends the input through the real pipeline (one channel worker per
channel; packets of up to 128 pages of one RAMBlock; zero pages on the main
stream as QEMU 7.2 does, or listed in the packets as QEMU 10.0 does, per
--profiles), decodes the streams back with the
channel workers and checks the result byte for byte: a mismatch fails the run.
A row reports wire bytes (main stream, initial packets, headers, payloads),
ratio (input / wire), compress and decompress MB/s (of input, wall clock, all
channels), CPU seconds, peak RSS, and the projected time to migrate the input
at 1, 10, 25 and 100 Gbit/s: the slowest of the link, compression and
decompression.

An INPUT is a raw memory image (any file a multiple of 4096 bytes, one
RAMBlock; NAME=FILE names it), a directory written by decode or receive, or
the connection streams of one captured migration (decoded first). Without
INPUT, a bundled sample of guest-like memory is made (--sample-size).

For inputs too large to run every row on, --sample SIZE|PERCENT runs the
rows on a random choice of the input's 4 MiB regions (the same choice for a
given --sample-seed) and projects each row's wire bytes, ratio and
transfer times to the whole input, with one standard error of the wire
bytes, estimated from how much the sampled regions differ.

--levels takes METHOD:LEVEL[,LEVEL|FROM-TO...] words, e.g.
--levels "zlib:1,6,9 zstd:1,3,9,19" (words after --levels that look like
METHOD:LEVELS join it too); methods not named run at their default level.
--emit DIR keeps each row's streams as DIR/<method>[-l<level>]-<n>ch/main.bin
and ch<id>.bin, which 'multifd decode' reads back.

Memory and disk: the input is read from its files as the rows go and each
decoded page is checked against it, so about 300-450 MiB whatever the
input's size; the temp folder holds the bundled sample (sparse), a captured
migration decoded into sparse files, or --sample's regions; streams are
written only with --emit.`,
  options: {
    levels: { type: 'string', multiple: true, valueName: 'SPEC', description: 'levels per method, e.g. "zlib:1,6,9 zstd:1,3,9,19" (default: each method\'s default)' },
    methods: { type: 'string', valueName: 'LIST', description: 'only these methods, e.g. zlib,zstd (default: every registered one)' },
    channels: { type: 'string', valueName: 'LIST', description: 'channel counts, e.g. 1,2,4 (default: 1 and the number of CPUs)' },
    plugin: { type: 'string', multiple: true, valueName: 'MODULE', description: 'import a codec module (file or package) that registers a codec; repeatable' },
    'zlib-backend': { type: 'string', valueName: 'B', description: 'zlib implementation: node (default, native), pako, or both' },
    profiles: {
      type: 'string',
      valueName: 'LIST',
      description: `wire profiles, side by side (default: all of them, ${Object.keys(WIRE_PROFILES).join(',')})`,
    },
    'sample-size': { type: 'string', valueName: 'SIZE', description: 'size of the bundled sample when no INPUT is given (default 256M)' },
    sample: {
      type: 'string',
      valueName: 'SIZE|PCT',
      description: 'run the rows on a random sample of the input (regions of 4 MiB, seeded), e.g. 1G or 5%, and project wire bytes and times to the whole input',
    },
    'sample-seed': { type: 'string', valueName: 'SEED', description: `seed of --sample's choice of regions (default ${SAMPLE_SEED_DEFAULT})` },
    json: { type: 'boolean', description: 'print the result as JSON' },
    csv: { type: 'boolean', description: 'print the result as CSV (a header, one line per row)' },
    markdown: { type: 'boolean', description: 'print the result as a Markdown table' },
    wide: { type: 'boolean', description: "every column of the table, whatever the terminal's width" },
    svg: { type: 'string', valueName: 'FILE', description: 'also write a chart of ratio against throughput to FILE' },
    emit: { type: 'string', valueName: 'DIR', description: "keep every row's streams, exactly as on the wire, under DIR" },
  },

  async run({ values, positionals }, io) {
    const cwd = io.cwd ?? process.cwd();
    const o = parseCompareOptions(values, positionals);
    // Output paths first: rows take minutes, and must not be lost to a typo at the end.
    const svgFile = o.svg !== undefined ? path.resolve(cwd, o.svg) : undefined;
    if (svgFile !== undefined) checkOutputFile(svgFile, '--svg');
    const emitDir = o.emit !== undefined ? path.resolve(cwd, o.emit) : undefined;
    // compare.json is written last, only when every row passed.
    if (emitDir !== undefined) await prepareOutputDir(emitDir, EMIT_INDEX, '--emit');
    const work = await makeTempDir('multifd-compare-');
    try {
      const codecs = await loadCompareCodecs(o.plugins, cwd, work);
      const rows = planRows(codecs.registry, o.plan);
      if (rows.length === 0) throw usageError('compare: no row to run');
      const codecOptions = { backend: o.plan.zlibBackends[0] ?? 'node' };
      const input =
        o.inputs.length > 0
          ? await loadInputsWithProgress(io, o.inputs, { cwd, work, codecModules: codecs.modules, codecOptions })
          : { blocks: [sampleWithProgress(io, o.sampleSize, path.join(work, 'sample.bin'))], sources: [`sample (${SAMPLE_SEED})`] };
      const inputBlocks = senderBlocks(input.blocks);
      const sample = o.sample !== undefined ? samplePlan(io, inputBlocks, o.sample, o.sampleSeed, work) : undefined;
      const blocks = sample ? senderBlocks(sample.blocks) : inputBlocks;
      const costs = new Map<string, Promise<number[]>>();

      const buffers = rowBuffers(Math.max(...rows.map((r) => r.channels)));
      const measured: (RowMeasurement & { emitted?: string })[] = [];
      for (const [i, spec] of rows.entries()) {
        io.signal?.throwIfAborted();
        const dir = emitDir !== undefined ? await emitRowDir(emitDir, spec) : undefined;
        try {
          let m = await runWithProgress(io, spec, blocks, { ...(dir !== undefined ? { emitDir: dir } : {}), buffers, codecModules: codecs.modules }, `[${i + 1}/${rows.length}]`);
          if (sample) {
            const key = `${spec.codec.value}|${spec.level}|${spec.profile}|${String(spec.codecOptions['backend'])}`;
            if (!costs.has(key)) costs.set(key, regionCosts(inputBlocks, sample.plan, spec.codec, spec.level, zeroPageCost(spec.profile), spec.codecOptions));
            m = projected(m, sample.plan, await costs.get(key)!, zeroPageCost(spec.profile));
          }
          measured.push(dir !== undefined ? { ...m, emitted: await finishRowDir(emitDir!, spec, dir) } : m);
        } finally {
          if (dir !== undefined) await removeRowDir(dir); // nothing left after finishRowDir moved it into place
        }
      }
      const result = buildResult(input.sources, inputBlocks, measured, sample?.plan);
      // The results first: a chart or index that fails to write loses nothing measured.
      io.stdout.write(o.format === 'json' ? formatJson(result) : o.format === 'csv' ? formatCsv(result) : o.format === 'markdown' ? formatMarkdown(result) : formatTable(result, tableOptions(io, o.wide)));
      if (emitDir !== undefined) await writeFileAtomic(path.join(emitDir, EMIT_INDEX), formatJson(result));
      if (svgFile !== undefined) await writeFileAtomic(svgFile, await renderSvg(result));
      return 0;
    } finally {
      await removeTempDir(work);
    }
  },
});

/** The table's width: the terminal's, unless --wide or the output is not a terminal (then every column). */
function tableOptions(io: CliIo, wide: boolean): TableOptions {
  return !wide && io.stdout.isTTY && io.stdout.columns ? { width: io.stdout.columns } : {};
}

/** --sample: the plan and the sample's blocks, written to the temp folder (with a progress line). */
function samplePlan(io: CliIo, blocks: readonly SenderBlock[], text: string, seed: string | undefined, work: string): { plan: SamplePlan; blocks: FileBlockInput[] } {
  const inputBytes = blocks.reduce((n, b) => n + b.usedLength, 0);
  const bytes = sampleBytesOf(text, inputBytes, parseByteSize);
  if (bytes === undefined || bytes <= 0) throw usageError(`--sample ${text}: expected a size (e.g. 1G) or a percentage (e.g. 5%)`);
  const bar = createProgress(io.stderr, 'scanning the input for data', inputBytes);
  let scanned: ReturnType<typeof scanRegions>;
  try {
    scanned = scanRegions(blocks, (done) => bar.update({ pages: done / PAGE_SIZE, bytes: done }));
  } finally {
    bar.done();
  }
  const plan = planSample(blocks, scanned, bytes, seed);
  if (plan.regions.length === 0) throw usageError('--sample: the input holds no data (every page is zero): run it whole');
  return { plan, blocks: writeSampleBlocks(blocks, plan, work) };
}

/** A row measured on the sample, with its wire bytes, zero pages and ratio projected to the whole input. */
function projected(m: RowMeasurement, plan: SamplePlan, costs: readonly number[], zeroCost: number): RowMeasurement {
  const p = project(m.wireBytes, plan, costs, zeroCost);
  return {
    ...m,
    inputBytes: plan.inputBytes,
    wireBytes: p.wireBytes,
    zeroPages: Math.round((m.zeroPages * plan.dataBytes) / plan.sampleBytes + plan.zeroRegionPages),
    ratio: plan.inputBytes / p.wireBytes,
    sample: { inputBytes: m.inputBytes, wireBytes: m.wireBytes, zeroPages: m.zeroPages, wireRelativeError: p.relativeError },
  };
}

interface CompareOptions {
  wide: boolean;
  sample?: string;
  sampleSeed?: string;
  inputs: string[];
  plugins: string[];
  plan: Parameters<typeof planRows>[1] & { zlibBackends: ZlibBackend[] };
  sampleSize: number;
  format: 'table' | 'json' | 'csv' | 'markdown';
  svg?: string;
  emit?: string;
}

function listOption(values: OptionValues, name: string): string[] {
  const v = values[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((s): s is string => typeof s === 'string');
}

export function parseCompareOptions(values: OptionValues, positionals: readonly string[]): CompareOptions {
  const levelWords = listOption(values, 'levels');
  // `--levels zlib:1,6 zstd:1,3`: words that follow and look like METHOD:LEVELS belong to --levels.
  const isLevelWord = (w: string) => levelWords.length > 0 && w.includes(':') && LEVEL_SPEC.test(w);
  const inputs = positionals.filter((p) => !isLevelWord(p));
  const levels = parseLevels([...levelWords, ...positionals.filter(isLevelWord)]);

  const formats = (['json', 'csv', 'markdown'] as const).filter((f) => booleanOption(values, f));
  if (formats.length > 1) throw usageError(`compare: --${formats.join(' and --')} exclude each other`);

  const channelsText = stringOption(values, 'channels');
  const channels = channelsText === undefined ? [...new Set([1, os.availableParallelism()])] : channelList(channelsText);

  const backendText = stringOption(values, 'zlib-backend') ?? 'node';
  if (!['node', 'pako', 'both'].includes(backendText)) throw usageError(`--zlib-backend ${backendText}: expected node, pako or both`);
  const zlibBackends: ZlibBackend[] = backendText === 'both' ? ['node', 'pako'] : [backendText as ZlibBackend];

  const sizeText = stringOption(values, 'sample-size');
  const sampleSize = sizeText === undefined ? DEFAULT_SAMPLE_SIZE : parseByteSize(sizeText);
  if (sampleSize === undefined || !isPageMultiple(sampleSize) || sampleSize > MAX_SAMPLE) {
    throw usageError(`--sample-size ${sizeText}: expected a multiple of 4096 bytes up to 64G, e.g. 16M or 256M`);
  }
  const profiles = (stringOption(values, 'profiles') ?? Object.keys(WIRE_PROFILES).join(',')).split(',').map((p) => p.trim()).filter(Boolean).map((p) => {
    try {
      return wireProfile(p).name;
    } catch {
      throw usageError(`--profiles ${p}: expected ${Object.keys(WIRE_PROFILES).join(' or ')}`);
    }
  });
  const methodsText = stringOption(values, 'methods');
  const svg = stringOption(values, 'svg');
  const emit = stringOption(values, 'emit');
  return {
    inputs,
    plugins: listOption(values, 'plugin'),
    plan: {
      ...(methodsText !== undefined ? { methods: methodsText.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
      levels,
      channels,
      zlibBackends,
      profiles: [...new Set(profiles)],
    },
    sampleSize,
    ...(stringOption(values, 'sample') !== undefined ? { sample: stringOption(values, 'sample')! } : {}),
    ...(stringOption(values, 'sample-seed') !== undefined ? { sampleSeed: stringOption(values, 'sample-seed')! } : {}),
    wide: booleanOption(values, 'wide'),
    format: formats[0] ?? 'table',
    ...(svg !== undefined ? { svg } : {}),
    ...(emit !== undefined ? { emit } : {}),
  };
}

function channelList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const n = Number(part.trim());
    if (!/^\s*\d+\s*$/.test(part) || n < 1 || n > 255) throw usageError(`--channels ${text}: expected channel counts from 1 to 255, e.g. 1,2,4`);
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** loadInputs with a progress bar while a captured migration is decoded. */
async function loadInputsWithProgress(io: CliIo, inputs: readonly string[], options: Omit<LoadInputsOptions, 'onDecodeProgress'>): Promise<Awaited<ReturnType<typeof loadInputs>>> {
  let bar: ReturnType<typeof createProgress> | undefined;
  try {
    return await loadInputs(inputs, {
      ...options,
      onDecodeProgress: (bytes, total) => {
        bar ??= createProgress(io.stderr, 'decoding the captured migration', total);
        bar.update({ pages: 0, bytes });
      },
    });
  } finally {
    bar?.done();
  }
}

/** The bundled sample, written to `file` with a progress bar. */
function sampleWithProgress(io: CliIo, size: number, file: string): FileBlockInput {
  const bar = createProgress(io.stderr, 'making the sample', size);
  try {
    writeSample(file, size, (bytes) => bar.update({ pages: bytes / PAGE_SIZE, bytes }));
    return { name: SAMPLE_BLOCK, file, usedLength: size };
  } finally {
    bar.done();
  }
}

/** One row with a progress bar per phase ("[2/6] zstd l1 x2 compress"). */
async function runWithProgress(io: CliIo, spec: RowSpec, blocks: readonly SenderBlock[], run: Pick<RunRowOptions, 'emitDir' | 'buffers' | 'codecModules'>, step: string): Promise<RowMeasurement> {
  const total = blocks.reduce((n, b) => n + b.usedLength, 0);
  const name = `${step} ${spec.method}${spec.level !== undefined ? ` l${spec.level}` : ''} x${spec.channels}`;
  let phase: string | undefined;
  let bar = createProgress(io.stderr, name, total);
  try {
    return await runRow(spec, blocks, {
      ...run,
      ...(io.signal ? { signal: io.signal } : {}),
      onProgress: (p, pages) => {
        if (p !== phase) {
          bar.done();
          bar = createProgress(io.stderr, `${name} ${p}`, total);
          phase = p;
        }
        bar.update({ pages, bytes: pages * PAGE_SIZE });
      },
    });
  } finally {
    bar.done();
  }
}

function buildResult(sources: string[], blocks: readonly SenderBlock[], rows: readonly (RowMeasurement & { emitted?: string })[], plan?: SamplePlan): CompareResult {
  const bytes = blocks.reduce((n, b) => n + b.usedLength, 0);
  // Every row checked that its zero pages came back as such; they all found the same ones (projected, with --sample).
  const zeroPages = rows[0]?.zeroPages ?? 0;
  const sample = plan
    ? { bytes: plan.sampleBytes, regions: plan.regions.length, of: plan.of, zeroRegions: Math.round((plan.zeroRegionPages * PAGE_SIZE) / SAMPLE_REGION), regionBytes: SAMPLE_REGION, seed: plan.seed, wireRelativeError: Math.max(...rows.map((r) => r.sample?.wireRelativeError ?? 0)) }
    : undefined;
  return {
    input: { sources, bytes, pages: bytes / PAGE_SIZE, zeroPages, blocks: blocks.map((b) => ({ name: b.name, bytes: b.usedLength })), ...(sample ? { sample } : {}) },
    host: { cpus: os.availableParallelism(), node: process.version, loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))) },
    linksGbps: [...LINKS_GBPS],
    rows: withProjections(rows),
  };
}
