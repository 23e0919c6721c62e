/** `npm run docs:figures`: its markers are in the READMEs, and its pieces do what they say. */
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { replaceSection, transportTable } from '../src/figures.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('docs:figures', () => {
  it('finds the markers of every section it regenerates, each with a line that says when it was made', () => {
    for (const [file, name] of [['README.md', 'compare'], ['README.md', 'benches'], ['README.md', 'transport'], ['examples/lz4-codec/README.md', 'lz4']] as const) {
      const text = fs.readFileSync(`${ROOT}${file}`, 'utf8');
      expect(() => replaceSection(text, name, 'x', file)).not.toThrow();
      const body = text.slice(text.indexOf(`<!-- figures:${name} -->`), text.indexOf(`<!-- /figures:${name} -->`));
      expect(body, `${file} ${name}`).toMatch(/Made by `npm run [^`]+`.* on 20\d\d-\d\d-\d\d/);
    }
  });

  it('replaces only what lies between a section\'s markers, and refuses a file without them', () => {
    const text = 'a\n<!-- figures:x -->\nold\n<!-- /figures:x -->\nb\n';
    expect(replaceSection(text, 'x', 'new', 'f.md')).toBe('a\n<!-- figures:x -->\nnew\n<!-- /figures:x -->\nb\n');
    expect(() => replaceSection('no markers', 'x', 'new', 'f.md')).toThrow(/f\.md: no <!-- figures:x -->/);
  });

  it('lays the transport bench out as the README does: one line per codec and channel count', () => {
    const table = transportTable({
      reps: 3,
      rows: [
        { codec: 'zstd', channels: 2, pair: 'ours', medianMs: 1500, senderCpuSeconds: 1.65, receiverCpuSeconds: 1.41 },
        { codec: 'zstd', channels: 2, pair: 'qemu->qemu', medianMs: 750, senderCpuSeconds: 0.94, receiverCpuSeconds: 0.32 },
        { codec: 'zstd', channels: 2, pair: 'qemu->ours', medianMs: 1000 },
      ],
    });
    expect(table.split('\n')[2]).toBe('| zstd | 2 | 1500 | 750 | 1000 | 0.50 | 0.75 | 1.65 / 1.41 | 0.94 / 0.32 |');
  });
});
