/**
 * `multifd decode [--out DIR] [--json] [--method NAME] FILE...`: rebuild the
 * RAM of one captured migration with core's assembleMigration (the same
 * receiver `receive` uses) and report what was in it.
 */
import { join, resolve } from 'node:path';
import { FileSink, assembleMigration } from '@multifd/core';
import { booleanOption, stringOption, usageError } from '../args.js';
import { prepareOutputDir, writeFileAtomic } from '../atomic-file.js';
import { createRegistry, methodOption } from '../codecs.js';
import { defineCommand } from '../command.js';
import { buildIndex, summaryLine } from '../decode-index.js';
import { DiscardSink } from '../discard-sink.js';
import { createProgress } from '../progress.js';
import { openMigrationFiles } from '../stream-files.js';

export const INDEX_FILE = 'index.json';

export const decodeCommand = defineCommand({
  name: 'decode',
  summary: 'rebuild RAM from the captured connection streams of one migration',
  usage: '[--out DIR] [--json] [--method NAME] FILE...',
  description: `
FILEs are the raw streams of one migration, in any order: the main stream
(starts with QEVM) and the multifd channels (start with 11 22 33 44; the
channel id comes from the initial packet). Main-stream records and channel
pages are applied epoch by epoch. With --out, each RAMBlock becomes
DIR/<name, '/' replaced by '_'>.bin (exactly its used length, sparse) and
DIR/index.json is written last, only on success. Without a main stream the
channels are still decoded; RAMBlocks are then sized to the highest page.`,
  options: {
    out: { type: 'string', short: 'o', valueName: 'DIR', description: 'write one file per RAMBlock and index.json into DIR (created if needed)' },
    json: { type: 'boolean', description: 'print the index (as in index.json) on stdout instead of the summary' },
    method: { type: 'string', valueName: 'NAME', description: 'expect this compression method (nocomp|none, zlib, zstd, or 0-7); other method bits are an error' },
  },

  async run({ values, positionals }, io) {
    if (positionals.length === 0) throw usageError("decode: no FILE given (see 'multifd decode --help')");
    const cwd = io.cwd ?? process.cwd();
    const registry = createRegistry();
    const methodName = stringOption(values, 'method');
    const method = methodName !== undefined ? methodOption(registry, '--method', methodName) : undefined;
    const outArg = stringOption(values, 'out');
    const outDir = outArg !== undefined ? resolve(cwd, outArg) : undefined;

    const files = await openMigrationFiles(positionals, cwd);
    const all = [...(files.main ? [files.main] : []), ...files.channels];
    const progress = createProgress(io.stderr, 'decode', files.totalBytes);
    try {
      if (outDir !== undefined) await prepareOutputDir(outDir, INDEX_FILE);
      const fileSink = outDir !== undefined ? new FileSink(outDir) : undefined;
      const sink = fileSink ?? new DiscardSink();
      const started = performance.now();
      const report = await assembleMigration({
        ...(files.main ? { main: files.main.input } : {}),
        channels: files.channels.map((f) => f.input),
        registry,
        ...(method ? { method: method.value } : {}),
        sink,
        onProgress: (p) => progress.update(p),
        ...(io.signal ? { signal: io.signal } : {}),
      });
      const index = buildIndex(report, fileSink?.files(), (performance.now() - started) / 1000);
      progress.done();
      if (outDir !== undefined) await writeFileAtomic(join(outDir, INDEX_FILE), `${JSON.stringify(index, null, 2)}\n`);
      io.stdout.write(booleanOption(values, 'json') ? `${JSON.stringify(index, null, 2)}\n` : `${summaryLine(index, outArg)}\n`);
      return 0;
    } finally {
      progress.done();
      await Promise.all(all.map((f) => f.close()));
    }
  },
});
