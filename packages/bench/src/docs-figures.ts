#!/usr/bin/env node
/**
 * `npm run docs:figures`: regenerate the figures the READMEs quote from a
 * command, each between `<!-- figures:NAME -->` and `<!-- /figures:NAME -->`
 * markers, with a line saying when, where and by which command it was made.
 *
 *   compare    README.md: compare's table and docs/compare-sample.svg (~3 min)
 *   lz4        examples/lz4-codec/README.md: the plugin against nocomp and zstd (~1 min)
 *   benches    README.md: `npm run bench` and `npm run bench:compare` (~6 min)
 *   transport  README.md: bench:transport under both wire profiles (~35 min;
 *              needs QEMU 7.2 and .cache/qemu-10.0, see .ci/install-qemu-10)
 *
 * Default: compare, lz4 and benches. `--only NAME[,NAME]` picks sections;
 * `--check` only verifies that every section's markers are in place.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { replaceSection, transportTable, type TransportReport } from './figures.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = path.join(ROOT, 'packages/cli/dist/bin.js');
const TRANSPORT_BENCH = path.join(ROOT, 'packages/bench/dist/transport-bench.js');
const DECODE_BENCH = path.join(ROOT, 'packages/bench/dist/decode-bench.js');
const COMPARE_BENCH = path.join(ROOT, 'packages/bench/dist/compare-bench.js');
const QEMU10 = path.join(ROOT, '.cache/qemu-10.0');

interface Section {
  name: string;
  /** The markdown file, from the repository root. */
  file: string;
  /** Make the section's text (the stamp is added around it). */
  make(): Promise<{ command: string; text: string }>;
}

/** Run node `script` with `args` from the repository root; resolves with stdout, fails with stderr. */
function run(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${path.basename(script)} ${args.join(' ')}: exit ${code}: ${stderr.trim().split('\n').pop()}`))));
  });
}

const COMPARE_ARGS = ['compare', '--levels', 'zlib:1,6 zstd:1,3,9', '--markdown', '--svg', 'docs/compare-sample.svg'];
const LZ4_ARGS = ['compare', '--plugin', 'multifd-codec-lz4', '--methods', 'nocomp,lz4,zstd', '--channels', '1,2', '--sample-size', '128M', '--markdown'];

const SECTIONS: Section[] = [
  {
    name: 'compare',
    file: 'README.md',
    async make() {
      return { command: `npx multifd ${quote(COMPARE_ARGS)}`, text: await run(CLI, COMPARE_ARGS) };
    },
  },
  {
    name: 'lz4',
    file: 'examples/lz4-codec/README.md',
    async make() {
      return { command: `npx multifd ${quote(LZ4_ARGS)}`, text: await run(CLI, LZ4_ARGS) };
    },
  },
  {
    name: 'benches',
    file: 'README.md',
    async make() {
      const decode = await run(DECODE_BENCH, ['--reps', '3']);
      const compare = await run(COMPARE_BENCH, ['--size', '64M', '--reps', '5', '--methods', 'zlib,zstd']);
      return {
        command: 'npm run bench -- --reps 3; npm run bench:compare -- --size 64M --reps 5 --methods zlib,zstd',
        text: `\`npm run bench -- --reps 3\`:\n\n\`\`\`text\n${decode.trim()}\n\`\`\`\n\n\`npm run bench:compare -- --size 64M --reps 5 --methods zlib,zstd\`:\n\n\`\`\`text\n${compare.trim()}\n\`\`\``,
      };
    },
  },
  {
    name: 'transport',
    file: 'README.md',
    async make() {
      const qemu10 = ['--profile', 'qemu-10', '--qemu', path.join(QEMU10, 'usr/bin/qemu-system-x86_64'), '--qemu-data', path.join(QEMU10, 'usr/share/qemu')];
      const tables: string[] = [];
      for (const [label, extra] of [['QEMU 7.2 profile, QEMU 7.2', []], ['QEMU 10 profile, QEMU 10.0.2', qemu10]] as const) {
        const report = JSON.parse(await run(TRANSPORT_BENCH, ['--reps', '3', '--json', ...extra])) as TransportReport;
        tables.push(`${label}, medians of ${report.reps}:\n\n${transportTable(report)}`);
      }
      return { command: 'npm run bench:transport -- --reps 3 [--profile qemu-10 --qemu … --qemu-data …]', text: tables.join('\n\n') };
    },
  },
];

function quote(args: readonly string[]): string {
  return args.map((a) => (/[\s"]/.test(a) ? `"${a}"` : a)).join(' ');
}

/** When and where: the line each regenerated section starts with. */
function stamp(command: string, load: number[]): string {
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  return `Made by \`npm run docs:figures\` (${command}) on ${when} UTC, on a ${os.availableParallelism()}-CPU ${os.type()} machine (Node ${process.version}, load average ${load.map((l) => l.toFixed(1)).join(' ')} when it started); speeds vary from run to run, ratios and wire bytes do not.`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const onlyAt = argv.indexOf('--only');
  const names = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',') : ['compare', 'lz4', 'benches'];
  const unknown = names.filter((n) => !SECTIONS.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`unknown section ${unknown.join(', ')} (sections: ${SECTIONS.map((s) => s.name).join(', ')})`);
  for (const section of SECTIONS.filter((s) => names.includes(s.name) || argv.includes('--check'))) {
    const file = path.join(ROOT, section.file);
    const text = fs.readFileSync(file, 'utf8');
    if (argv.includes('--check')) {
      replaceSection(text, section.name, '', section.file);
      continue;
    }
    process.stderr.write(`docs:figures: ${section.name} (${section.file})...\n`);
    const load = os.loadavg();
    const { command, text: figures } = await section.make();
    fs.writeFileSync(file, replaceSection(text, section.name, `${stamp(command, load)}\n\n${figures}`, section.file));
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`docs:figures: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
