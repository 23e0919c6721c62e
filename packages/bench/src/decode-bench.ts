#!/usr/bin/env node
/**
 * `npm run bench`: decode throughput per codec next to the raw codec's
 * decompression speed, measured in one run. Progress goes to stderr, the
 * table (or with --json the JSON) to stdout.
 */
import * as fs from 'node:fs';
import { USAGE, parseOptions } from './options.js';
import { formatTable, runDecodeBench } from './run.js';

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  const result = await runDecodeBench(options, { log: (line) => console.error(line) });
  const json = JSON.stringify(result, null, 2);
  if (options.out) fs.writeFileSync(options.out, `${json}\n`);
  console.log(options.json ? json : formatTable(result));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
