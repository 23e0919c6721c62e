/**
 * The destination: `node receiver.js`. Listens on a free port (told to its
 * parent), receives one migration into memory, then checks it against the
 * SHA-256 the parent forwards from the sender. Exits 1 on a mismatch.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { MigrationReceiver } from '@multifd/transport';

const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 2, method: 'zstd', codecModules: ['@multifd/zstd'] });
const { port } = await receiver.listen();
process.send!({ port });

const [report, [expected]] = await Promise.all([receiver.done(), once(process, 'message') as Promise<[{ sha256: string }]>]);
const actual = createHash('sha256').update(receiver.block('ram')!).digest('hex');
const ok = actual === expected.sha256;
console.log(`receiver: ${(report.wireBytes / 1e6).toFixed(1)} MB in ${report.epochs} epochs; final content ${ok ? 'verified' : `DIFFERS (${actual} != ${expected.sha256})`}`);
process.exitCode = ok ? 0 : 1;
process.disconnect();
