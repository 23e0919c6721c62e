#!/usr/bin/env node
/**
 * A receiver for bench:transport: the library's MigrationReceiver keeping
 * RAM in memory, optionally preallocated (touched before the migration, as
 * QEMU's -mem-prealloc does for a destination). Prints `listening on
 * HOST:PORT` on stderr, then one JSON line on stdout when done.
 * Usage: receiver-process.js --channels N [--method M] [--prealloc BYTES]
 */
import { MigrationReceiver } from '@multifd/transport';

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const receiver = new MigrationReceiver({
  listen: '127.0.0.1:0',
  channels: Number(arg('--channels') ?? 2),
  ...(arg('--method') ? { method: arg('--method')! } : {}),
  ...(arg('--prealloc') ? { preallocBytes: Number(arg('--prealloc')) } : {}),
  codecOptions: { backend: 'node' },
});
const address = await receiver.listen();
// CPU time from here on (all threads): the migration's, the set-up (workers, prealloc) excluded.
const cpu = process.cpuUsage();
process.stderr.write(`listening on ${address.host}:${address.port}\n`);
try {
  const report = await receiver.done();
  const used = process.cpuUsage(cpu);
  console.log(
    JSON.stringify({
      seconds: report.elapsedMs / 1000,
      cpuSeconds: (used.user + used.system) / 1e6,
      wireBytes: report.wireBytes,
      epochs: report.epochs,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    }),
  );
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
}
