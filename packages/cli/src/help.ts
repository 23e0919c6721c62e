/**
 * Help texts, built from the command table and each command's options,
 * wrapped to the terminal's width (80 columns when it is not a terminal).
 */
import type { Command } from './command.js';
import type { OutputStream } from './io.js';
import { reflow, usageParts, wrapWords } from './text-wrap.js';

export const EXIT_STATUS = 'Exit status: 0 success; 1 bad input, I/O or other failure; 2 usage error; 130 interrupted (or 128 + the signal number when a second signal or the 2 s shutdown deadline ends it).';

/** The width to wrap help to: the terminal's (at most 100), else 80. */
export function helpWidth(out: OutputStream): number {
  return out.isTTY && out.columns ? Math.max(40, Math.min(out.columns, 100)) : 80;
}

/** Two columns (a name, then its text) with the text wrapped under itself; a long name puts its text on the next line. */
function twoColumns(rows: readonly (readonly [string, string])[], width: number): string[] {
  const nameWidth = Math.min(Math.max(...rows.map(([name]) => name.length)), 24);
  const indent = ' '.repeat(2 + nameWidth + 2);
  return rows.flatMap(([name, text]) => {
    if (name.length > nameWidth) return [`  ${name}`, ...wrapWords(text, width, indent)];
    return wrapWords(text, width, `  ${name.padEnd(nameWidth)}  `, indent);
  });
}

export function globalHelp(commands: readonly Command[], version: string, width = 80): string {
  return [
    ...wrapWords(`multifd ${version}: QEMU multifd live-migration streams (QEMU 7.2 and 10.0)`, width),
    '',
    'Usage: multifd <command> [options] [arguments]',
    '',
    'Commands:',
    ...twoColumns(commands.map((c) => [c.name, c.summary] as const), width),
    '',
    reflow(
      `Run 'multifd <command> --help' for a command's options. Errors are one line on stderr: multifd: ERR_MULTIFD_<CODE>: <message> (MULTIFD_DEBUG=1 adds the stack trace).\n\n${EXIT_STATUS}`,
      width,
    ),
    '',
  ].join('\n');
}

/** The usage line, wrapped between bracketed groups; a group too long for a line is wrapped between its words. */
function usageLines(command: Command, width: number): string[] {
  const lead = `Usage: multifd ${command.name} `;
  const room = width - lead.length;
  const parts = usageParts(command.usage).flatMap((p) => (p.length > room ? p.split(' ') : [p]));
  return wrapWords(parts, width, lead, ' '.repeat(lead.length));
}

export function commandHelp(command: Command, width = 80): string {
  const rows = Object.entries(command.options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.valueName ?? 'VALUE'}` : ''}`;
    return [flag, spec.description] as const;
  });
  rows.push(['-h, --help', 'show this help']);
  return [
    ...usageLines(command, width),
    '',
    reflow(command.summary, width),
    ...(command.description ? ['', reflow(command.description, width)] : []),
    '',
    'Options:',
    ...twoColumns(rows, width),
    '',
    reflow(EXIT_STATUS, width),
    '',
  ].join('\n');
}
