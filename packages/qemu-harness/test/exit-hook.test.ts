/**
 * The process hooks kill every tracked QEMU when the process that started
 * them ends. That needs a separate Node process running the harness, so the
 * sources are transpiled (type-stripped) into a temp dir first.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const FAKE_QEMU = fileURLToPath(new URL('./fake-qemu.mjs', import.meta.url));
let dir = '';

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'harness-exit-hook-'));
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
  for (const file of fs.readdirSync(SRC).filter((f) => f.endsWith('.ts'))) {
    const { outputText } = ts.transpileModule(fs.readFileSync(path.join(SRC, file), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    fs.writeFileSync(path.join(dir, file.replace(/\.ts$/, '.js')), outputText);
  }
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Running (a killed orphan may linger as a zombie until init reaps it: that counts as dead). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Run a child that starts a fake QEMU, then (once told to) runs `ending`, or gets SIGTERM; returns the QEMU pid and how the child ended. */
async function runChild(ending: string, options: { env?: NodeJS.ProcessEnv; sigterm?: boolean } = {}): Promise<{ qemuPid: number; signal: string | null; code: number | null }> {
  const script = `
    import { startQemu } from './index.js';
    const vm = await startQemu({ binary: ${JSON.stringify(FAKE_QEMU)}, bios: null });
    process.stdout.write(vm.pid + '\\n');
    setInterval(() => {}, 1000);
    process.stdin.once('data', () => { ${ending} });
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  const pid = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    void exit.then(([c, s]) => reject(new Error(`child ended (code ${c}, signal ${s}) before starting QEMU: ${err}`)));
  });
  const qemuPid = await pid;
  expect(alive(qemuPid)).toBe(true);
  if (options.sigterm) child.kill('SIGTERM');
  else child.stdin.write('go\n');
  const [code, signal] = await exit;
  return { qemuPid, code, signal };
}

describe('exit hooks', () => {
  it('SIGKILLs tracked QEMUs when the process exits', async () => {
    const { qemuPid, code } = await runChild('process.exit(3);', { env: { FAKE_QEMU_IGNORE_TERM: '1' } });
    expect(code).toBe(3);
    await expect.poll(() => alive(qemuPid)).toBe(false);
  });

  it('kills tracked QEMUs on SIGTERM and still dies of the signal', async () => {
    const { qemuPid, signal } = await runChild('', { sigterm: true });
    expect(signal).toBe('SIGTERM');
    await expect.poll(() => alive(qemuPid)).toBe(false);
  });

  it('kills tracked QEMUs on an uncaught exception', async () => {
    const { qemuPid, code } = await runChild("throw new Error('boom (expected)');");
    expect(code).toBe(1);
    await expect.poll(() => alive(qemuPid)).toBe(false);
  });
});
