/** Guest-RAM images whose pages name themselves, for tests that compare memory after a migration. */
import { writeFileSync } from 'node:fs';

const PAGE = 4096;

/**
 * Write `mib` MiB to `file`: every page starts with "PAGE<index> " and is
 * otherwise random-looking (compressible only a little, so a zlib channel
 * is much slower than a nocomp one); with `zeroEvery` N, the pages whose
 * index is 3 modulo N stay zero.
 */
export function writeNamedPages(file: string, mib: number, zeroEvery = 0): string {
  const bytes = Buffer.alloc(mib << 20);
  let x = 0x2545f491;
  for (let p = 0; p < bytes.length / PAGE; p++) {
    if (zeroEvery > 0 && p % zeroEvery === 3) continue;
    const page = bytes.subarray(p * PAGE, (p + 1) * PAGE);
    for (let i = 0; i < PAGE; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      page[i] = x & 0xff;
    }
    page.write(`PAGE${p} `);
  }
  writeFileSync(file, bytes);
  return file;
}
