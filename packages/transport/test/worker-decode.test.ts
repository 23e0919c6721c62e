import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectStreamKind, type StreamInput } from '@multifd/core';
import { MemorySink } from '@multifd/core';
import { decodeWithWorkers, sendMigration } from '@multifd/transport';
import { image, sameBytes } from './helpers.js';

const fixtures = new URL('../../../fixtures/', import.meta.url);

function captureInputs(name: string): { main?: StreamInput; channels: StreamInput[] } {
  const dir = new URL(`${name}/`, fixtures);
  const inputs: { main?: StreamInput; channels: StreamInput[] } = { channels: [] };
  for (const f of fs.readdirSync(dir).filter((n) => n.startsWith('conn') && n.endsWith('.bin'))) {
    const file = new URL(f, dir);
    const input = { label: f, source: fs.createReadStream(file) };
    if (detectStreamKind(fs.readFileSync(file).subarray(0, 4), f) === 'main') inputs.main = input;
    else inputs.channels.push(input);
  }
  return inputs;
}

describe('decoding with one worker per channel', () => {
  for (const capture of ['qemu-7.2/nocomp-2ch', 'qemu-7.2/zlib-2ch', 'qemu-7.2/zstd-2ch', 'qemu-10.0/zstd-2ch']) {
    it(`${capture}: the blob comes back bit-exact`, async () => {
      const { report, sink } = await decodeWithWorkers(captureInputs(capture));
      const blob = fs.readFileSync(new URL('qemu-7.2/blobs/dev-1.bin', fixtures));
      const ram = (sink as MemorySink).block('pc.ram')!;
      expect(sameBytes(ram.subarray(0x100000, 0x500000), blob)).toBe(true);
      expect(report.ramblocks.every((b) => b.missing === 0)).toBe(true);
    });
  }

  it('streams a sender wrote to files decode back to its memory', async () => {
    const mem = image(8 << 20, 'files');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'multifd-emit-'));
    try {
      await sendMigration({ output: { files: dir }, channels: 3, method: 'zstd', blocks: [{ name: 'pc.ram', memory: mem }] });
      const input = (f: string) => ({ label: f, source: fs.createReadStream(`${dir}/${f}`) });
      const { sink } = await decodeWithWorkers({ main: input('main.bin'), channels: ['ch0.bin', 'ch1.bin', 'ch2.bin'].map(input) });
      expect(sameBytes((sink as MemorySink).block('pc.ram'), mem)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
