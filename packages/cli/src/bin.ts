#!/usr/bin/env node
import 'reflect-metadata'; // first: tsyringe (in @multifd/core) needs it before it loads
import { processIo } from './io.js';
import { main } from './main.js';
import { EXIT_INTERRUPTED, interruptedError } from './report-error.js';

// The first SIGINT/SIGTERM stops the command cleanly (no index.json, files
// closed); a second one exits at once, e.g. while a pipe read is pending.
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    controller.abort(interruptedError(signal));
  });
}
process.exitCode = await main(process.argv.slice(2), processIo(controller.signal));
