#!/usr/bin/env node
/**
 * `node dist/compare-codecs.js FILE [--out chart.svg] [--methods LIST] [--channels LIST] [--plugin MODULE]...`
 *
 * Which codec pays off on your memory? Runs `multifd compare` on FILE (a raw
 * memory image, a directory written by `multifd decode`, or the streams of a
 * captured migration), prints its table and writes its chart of ratio
 * against throughput. Nothing imports @multifd/cli: it is run as a command.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string', default: 'chart.svg' },
    methods: { type: 'string' },
    channels: { type: 'string' },
    plugin: { type: 'string', multiple: true, default: [] },
  },
});
if (positionals.length !== 1) {
  console.error('usage: compare-codecs FILE [--out chart.svg] [--methods LIST] [--channels LIST] [--plugin MODULE]...');
  process.exit(2);
}

// The `multifd` command of the installed @multifd/cli.
const cliPackage = createRequire(import.meta.url).resolve('@multifd/cli/package.json');
const bin = path.join(path.dirname(cliPackage), (JSON.parse(readFileSync(cliPackage, 'utf8')) as { bin: { multifd: string } }).bin.multifd);

const args = ['compare', '--svg', values.out];
if (values.methods) args.push('--methods', values.methods);
if (values.channels) args.push('--channels', values.channels);
for (const plugin of values.plugin) args.push('--plugin', plugin);
const child = spawn(process.execPath, [bin, ...args, positionals[0]!], { stdio: 'inherit' });
const [code] = (await once(child, 'exit')) as [number | null];
if (code === 0) console.log(`chart written to ${values.out}`);
process.exitCode = code ?? 1;
