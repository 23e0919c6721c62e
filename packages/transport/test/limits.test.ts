/**
 * Limits (issue 7): a receiver refuses RAM larger than configured, and a
 * peer that announces full packets and then stalls cannot make it hold more
 * than a bounded amount of memory.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { MainStreamEncoder, MultifdError, PAGE_SIZE, encodeInitialPacket, encodePacketHeader } from '@multifd/core';
import { MigrationReceiver, MigrationSender } from '@multifd/transport';
import { image, settleTime } from './helpers.js';

const MiB = 1 << 20;

describe('limits', () => {
  it('refuses a migration whose RAM is larger than maxRamBytes (ERR_MULTIFD_TOO_LARGE); the sender fails', async () => {
    const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 1, maxRamBytes: 8 * MiB });
    const { port } = await receiver.listen();
    const sender = new MigrationSender({ to: `127.0.0.1:${port}`, channels: 1, method: 'nocomp', blocks: [{ name: 'pc.ram', memory: image(16 * MiB, 'big') }] });
    const sent = settleTime((async () => (await sender.start(), sender.complete('all')))());
    const r = await settleTime(receiver.done());
    const s = await sent;
    expect(MultifdError.is(r.error, 'ERR_MULTIFD_TOO_LARGE')).toBe(true);
    expect(s.error).toBeDefined();
  });

  it('refuses an expected method that no codec module registers before it listens (ERR_MULTIFD_UNKNOWN_METHOD)', async () => {
    const receiver = new MigrationReceiver({ listen: '127.0.0.1:0', channels: 1, method: 'lz77' });
    const error = await receiver.listen().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(MultifdError.is(error, 'ERR_MULTIFD_UNKNOWN_METHOD')).toBe(true);
  });

  it('a peer announcing full packets on every channel and stalling mid-payload costs the receiver a bounded amount of memory', async () => {
    const channels = 16;
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'multifd-limits-'));
    onTestFinished(() => fs.rmSync(out, { recursive: true, force: true }));
    // The receiver runs in its own process, so its peak RSS (VmHWM) is its own.
    const script = `
      import { MigrationReceiver } from '@multifd/transport';
      const r = new MigrationReceiver({ listen: '127.0.0.1:0', channels: ${channels}, out: ${JSON.stringify(out)}, handshakeTimeoutMs: 20000, idleTimeoutMs: 3000 });
      const a = await r.listen();
      console.log(JSON.stringify({ port: a.port }));
      const out = await r.done().then(() => 'done', (e) => e.code);
      const hwm = /VmHWM:\\s+(\\d+)/.exec((await import('node:fs')).readFileSync('/proc/self/status', 'utf8'))[1];
      console.log(JSON.stringify({ out, hwmKiB: Number(hwm) }));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let onLine: (() => void) | undefined;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      lines.push(...d.split('\n').filter(Boolean));
      onLine?.();
    });
    const line = (n: number) => new Promise<string>((resolve) => {
      const check = () => (lines.length > n ? resolve(lines[n]!) : (onLine = check));
      check();
    });
    const { port } = JSON.parse(await line(0)) as { port: number };
    const sockets: net.Socket[] = [];
    const connect = () => {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      sockets.push(s);
      return s;
    };
    // Main stream: a 4 GiB pc.ram (written to a sparse file: it costs no memory).
    connect().write(new MainStreamEncoder().start([{ name: 'pc.ram', usedLength: 4096 * MiB }]));
    const header = encodePacketHeader({ flags: 0, normalPages: 128, nextPacketSize: 128 * PAGE_SIZE, packetNum: 1, ramblock: 'pc.ram', offsets: Array.from({ length: 128 }, (_, i) => i * PAGE_SIZE) });
    for (let id = 0; id < channels; id++) {
      const ch = connect();
      ch.write(encodeInitialPacket({ id }));
      ch.write(encodePacketHeader({ flags: 1, normalPages: 0, nextPacketSize: 0, packetNum: 0, ramblock: '', offsets: [] }));
      ch.write(header);
      ch.write(new Uint8Array(500 * 1024)); // most of the payload, then silence
    }
    const result = JSON.parse(await line(1)) as { out: string; hwmKiB: number };
    for (const s of sockets) s.destroy();
    expect(result.out).toBe('ERR_MULTIFD_TIMEOUT');
    // Node itself, 16 channel workers and their codecs take ~150-200 MiB here; the
    // half-received packets add ~16 x 0.5 MiB. A receiver that buffered what
    // headers announce, or held the 4 GiB block in memory, would be far above.
    expect(result.hwmKiB / 1024).toBeLessThan(512);
    fs.writeSync(2, `receiver peak RSS under a stalling peer (${channels} channels): ${(result.hwmKiB / 1024).toFixed(0)} MiB\n`);
  });
});
