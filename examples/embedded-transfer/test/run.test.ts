import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('migrates a buffer the guest keeps writing to another process, which verifies the final content', async () => {
  const run = fileURLToPath(new URL('../dist/run.js', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, [run]); // rejects on a non-zero exit
  expect(stdout).toMatch(/^receiver: .* final content verified$/m);
  // The guest really wrote while the passes ran: pass 2 re-sends the pages it dirtied during pass 1.
  const dirtied = Number(/^sender: pass 2: (\d+) pages/m.exec(stdout)?.[1]);
  expect(dirtied).toBeGreaterThan(0);
});
