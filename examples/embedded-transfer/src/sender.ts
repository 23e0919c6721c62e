/**
 * The source: `node sender.js PORT`. Migrates 32 MiB of shared memory while
 * a guest keeps writing into it: a first pass over every page, three passes
 * over the pages written meanwhile, then the guest stops and a last pass
 * completes the migration. Tells its parent the SHA-256 of the final memory.
 */
import { createHash } from 'node:crypto';
import { fillMemory } from '@multifd/core';
import { MigrationSender } from '@multifd/transport';
import { Guest } from './guest.js';

const port = Number(process.argv[2]);
const memory = new Uint8Array(new SharedArrayBuffer(32 * 1024 * 1024)); // workers read it in place
fillMemory(memory, 'embedded-transfer'); // guest-like pages: code, text, zeros...

const sender = new MigrationSender({
  to: { host: '127.0.0.1', port },
  channels: 2,
  method: 'zstd',
  codecModules: ['@multifd/zstd'], // what the channel worker threads import
  blocks: [{ name: 'ram', memory }],
});
const guest = new Guest(memory);

await sender.start();
guest.start();
await sender.pass(); // every page, while the guest runs
for (let pass = 2; pass <= 4; pass++) {
  const dirty = guest.takeDirty();
  console.log(`sender: pass ${pass}: ${dirty.length} pages written during the previous pass`);
  await sender.pass(new Map([['ram', dirty]]));
}
guest.stop(); // the VM pauses: what is dirty now is the last of it
const last = guest.takeDirty();
console.log(`sender: last pass: ${last.length} pages`);
const progress = await sender.complete(new Map([['ram', last]]));
console.log(`sender: done, ${progress.pages} pages, ${progress.epochs} syncs, ${(progress.wireBytes / 1e6).toFixed(1)} MB on the wire`);

process.send!({ sha256: createHash('sha256').update(memory).digest('hex') });
process.disconnect();
