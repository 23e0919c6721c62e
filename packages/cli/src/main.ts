/**
 * `multifd <command> ...`: dispatch to the command table. Returns the exit
 * code instead of exiting, so tests run it in-process.
 */
import { readFileSync } from 'node:fs';
import { parseCommandArgs, usageError, wantsHelp } from './args.js';
import { COMMANDS, findCommand } from './commands/index.js';
import { commandHelp, globalHelp, helpWidth } from './help.js';
import type { CliIo } from './io.js';
import { EXIT_OK, errorLine, exitCodeFor } from './report-error.js';

let cachedVersion: string | undefined;

/** The CLI's version, from its package.json (one level above src/ and dist/). */
export function version(): string {
  cachedVersion ??= (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cachedVersion;
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const [name, ...rest] = argv;
    if (name === '--help' || name === '-h') {
      io.stdout.write(globalHelp(COMMANDS, version(), helpWidth(io.stdout)));
      return EXIT_OK;
    }
    if (name === '--version' || name === '-V') {
      io.stdout.write(`${version()}\n`);
      return EXIT_OK;
    }
    if (name === 'help') {
      const topic = rest[0] !== undefined ? findCommand(rest[0]) : undefined;
      if (rest[0] !== undefined && !topic) throw unknownCommand(rest[0]);
      io.stdout.write(topic ? commandHelp(topic, helpWidth(io.stdout)) : globalHelp(COMMANDS, version(), helpWidth(io.stdout)));
      return EXIT_OK;
    }
    if (name === undefined) throw usageError("no command given (see 'multifd --help')");
    const command = findCommand(name);
    if (!command) throw name.startsWith('-') ? usageError(`unknown option ${name} (see 'multifd --help')`) : unknownCommand(name);
    if (wantsHelp(rest)) {
      io.stdout.write(commandHelp(command, helpWidth(io.stdout)));
      return EXIT_OK;
    }
    return await command.run(parseCommandArgs(command, rest), io);
  } catch (e) {
    io.stderr.write(errorLine(e));
    if (io.env?.MULTIFD_DEBUG && e instanceof Error && e.stack) io.stderr.write(`${e.stack}\n`);
    return exitCodeFor(e);
  }
}

function unknownCommand(name: string) {
  return usageError(`unknown command ${JSON.stringify(name)} (commands: ${COMMANDS.map((c) => c.name).join(', ')}; see 'multifd --help')`);
}
