import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

// docs/writing-a-codec-plugin.md quotes this package: each block after a
// "quoted from" marker must still be in the files it names, line for line.
it('the codec plugin guide quotes this package as it is', () => {
  const guide = readFileSync(new URL('../../../docs/writing-a-codec-plugin.md', import.meta.url), 'utf8');
  const quotes = [...guide.matchAll(/<!-- quoted from examples\/lz4-codec\/(.+?) \(checked by .*?-->\n```ts\n([\s\S]*?)```/g)];
  expect(quotes.length).toBe(5);
  const missing: string[] = [];
  for (const [, files, code] of quotes) {
    const source = new Set(
      files!.split(' ').flatMap((f) => readFileSync(new URL(`../${f}`, import.meta.url), 'utf8').split('\n').map((l) => l.trim())),
    );
    for (const line of code!.split('\n').map((l) => l.trim())) {
      if (line !== '' && !line.startsWith('//') && !source.has(line)) missing.push(`${files}: ${line}`);
    }
  }
  expect(missing).toEqual([]);
});
