#!/usr/bin/env node
/**
 * discard-receiver.ts as a process, for timing `multifd send` alone:
 *
 *   node packages/bench/dist/discard-process.js --channels 2 &   # prints "listening on 127.0.0.1:PORT" on stderr
 *   npx multifd send --to 127.0.0.1:PORT --channels 2 --method nocomp --json pc.ram=IMAGE
 *
 * Prints one JSON line ({ seconds, bytes, connections }) on stdout when the
 * migration's connections have all ended.
 */
import { discardReceiver } from './discard-receiver.js';

const i = process.argv.indexOf('--channels');
const channels = i >= 0 ? Number(process.argv[i + 1]) : 2;
if (!Number.isInteger(channels) || channels < 1 || channels > 255) {
  console.error('usage: discard-process.js --channels N (1-255)');
  process.exit(2);
}
const receiver = await discardReceiver(channels);
process.stderr.write(`listening on 127.0.0.1:${receiver.port}\n`);
console.log(JSON.stringify(await receiver.done));
receiver.close();
