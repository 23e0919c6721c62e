/** Runs the suite's tests outside the runner, to see which ones a codec fails. */
import { expect } from 'vitest';
import type { TestApi, TestFunction } from '../src/index.js';

export interface Collected {
  name: string;
  fn: TestFunction;
}

/** The tests `register` would register, named by their describe blocks below the outermost (which names the codec). */
export function collect(register: (api: TestApi) => void): Collected[] {
  const tests: Collected[] = [];
  const path: string[] = [];
  register({
    describe: (name, fn) => {
      path.push(name);
      fn();
      path.pop();
    },
    it: (name, fn) => void tests.push({ name: [...path.slice(1), name].join(' > '), fn }),
    expect,
  });
  return tests;
}

/** Names of the tests that throw. */
export async function failing(tests: readonly Collected[]): Promise<string[]> {
  const failed: string[] = [];
  for (const t of tests) {
    try {
      await t.fn();
    } catch {
      failed.push(t.name);
    }
  }
  return failed;
}
