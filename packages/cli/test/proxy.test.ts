/**
 * `multifd proxy` on the command line: send -> proxy -> receive with dirty
 * iterations, the proxy's output slower than its input (zstd x4 out of
 * nocomp x2, issue 14's reproduction), and a proxy started before its
 * destination listens (it connects when the source does).
 */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '@multifd/core';
import { removeTempDirs, run, start, tempDir } from './helpers.js';
import { writeNamedPages } from './named-pages.js';

const namedImage = (dir: string, mib: number) => writeNamedPages(join(dir, 'ram.bin'), mib, 7);

afterAll(removeTempDirs);

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The pages where two images differ, as a short text. */
function differingPages(a: Buffer, b: Buffer): string {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  const pages: number[] = [];
  for (let off = 0; off < a.length; off += PAGE_SIZE) if (a.compare(b, off, off + PAGE_SIZE, off, off + PAGE_SIZE) !== 0) pages.push(off / PAGE_SIZE);
  return pages.length === 0 ? 'none' : `${pages.length} pages, first ${pages.slice(0, 5).join(', ')}`;
}

describe('multifd proxy', () => {
  it('send nocomp x2 (3 dirty iterations) -> proxy -> zstd x4 -> receive: every exit 0, RAM equal to the sender\'s final RAM', async () => {
    const dir = tempDir();
    const ram = namedImage(dir, 32);
    const out = join(dir, 'out');
    const final = join(dir, 'final');
    const receive = start(['receive', '--listen', '127.0.0.1:0', '--channels', '4', '--out', out]);
    const receivePort = await receive.port();
    const proxy = start(['proxy', '--listen', '127.0.0.1:0', '--to', `127.0.0.1:${receivePort}`, '--channels', '2', '--out-channels', '4', '--out-method', 'zstd']);
    const proxyPort = await proxy.port();
    const send = await run(['send', '--to', `127.0.0.1:${proxyPort}`, '--channels', '2', '--method', 'nocomp', '--iterations', '3', '--dirty', '0.05', '--save-final', final, `pc.ram=${ram}`]);
    const [p, r] = await Promise.all([proxy.done, receive.done]);
    expect(send.code, send.stderr).toBe(0);
    expect(p.code, p.stderr).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    expect(differingPages(readFileSync(join(out, 'pc.ram.bin')), readFileSync(join(final, 'pc.ram.bin')))).toBe('none');
  });

  it('a proxy started before its destination listens connects when the source does', async () => {
    const dir = tempDir();
    const ram = namedImage(dir, 4);
    const out = join(dir, 'out');
    const destPort = await freePort();
    const proxy = start(['proxy', '--listen', '127.0.0.1:0', '--to', `127.0.0.1:${destPort}`, '--channels', '2', '--out-method', 'nocomp']);
    const proxyPort = await proxy.port();
    // The proxy is up and has not connected anywhere: the destination starts only now.
    const receive = start(['receive', '--listen', `127.0.0.1:${destPort}`, '--channels', '2', '--out', out]);
    await receive.port();
    const send = await run(['send', '--to', `127.0.0.1:${proxyPort}`, '--channels', '2', '--method', 'nocomp', `pc.ram=${ram}`]);
    const [p, r] = await Promise.all([proxy.done, receive.done]);
    expect(send.code, send.stderr).toBe(0);
    expect(p.code, p.stderr).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    expect(differingPages(readFileSync(join(out, 'pc.ram.bin')), readFileSync(ram))).toBe('none');
  });
});
