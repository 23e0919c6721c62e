/** Build the fuzzer (its worker threads run dist/) and the transport (the receiver test runs its build) once, before any test file. */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const pkg = (name: string) => fileURLToPath(new URL(`../../${name}`, import.meta.url));
  execFileSync(process.execPath, [tsc, '-b', pkg('fuzz'), pkg('transport')], { stdio: 'inherit' });
}
