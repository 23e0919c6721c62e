#!/usr/bin/env node
import { processIo } from './io.js';
import { main } from './main.js';
import { EXIT_INTERRUPTED, interruptedError } from './report-error.js';
import { removeTempDirsNow } from './temp-dirs.js';

// The first SIGINT/SIGTERM stops the command cleanly (no index.json, files
// closed, temp folders removed; exit 130). A second one, or the command
// still running 2 s later (a filesystem call or a pipe read that never
// returns), ends the process at once: `timeout`, `docker stop` and systemd
// send one SIGTERM. Exiting at once means dying of the signal itself
// (status 128 + its number): process.exit() would wait for a libuv thread
// blocked in read(). Temp folders are removed first.
const SHUTDOWN_DEADLINE_MS = 2000;
const controller = new AbortController();
function dieOf(signal: NodeJS.Signals): never {
  removeTempDirsNow();
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  // The signal is delivered before kill() returns; this line is never reached.
  process.exit(EXIT_INTERRUPTED);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (controller.signal.aborted) dieOf(signal);
    controller.abort(interruptedError(signal));
    setTimeout(() => {
      process.stderr.write(`multifd: ERR_MULTIFD_CANCELLED: still stopping ${SHUTDOWN_DEADLINE_MS} ms after ${signal}: exiting now\n`);
      dieOf(signal);
    }, SHUTDOWN_DEADLINE_MS).unref();
  });
}
process.exitCode = await main(process.argv.slice(2), processIo(controller.signal));
