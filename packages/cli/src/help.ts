/** Help texts, built from the command table and each command's options. */
import type { Command } from './command.js';

export const EXIT_STATUS = 'Exit status: 0 success; 1 bad input, I/O or other failure; 2 usage error; 130 interrupted.';

export function globalHelp(commands: readonly Command[], version: string): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `multifd ${version}: QEMU 7.2 multifd live-migration streams`,
    '',
    'Usage: multifd <command> [options] [arguments]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'multifd <command> --help' for a command's options.",
    'Errors are one line on stderr: multifd: ERR_MULTIFD_<CODE>: <message>',
    '(MULTIFD_DEBUG=1 adds the stack trace).',
    EXIT_STATUS,
    '',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  const rows = Object.entries(command.options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.valueName ?? 'VALUE'}` : ''}`;
    return [flag, spec.description] as const;
  });
  rows.push(['-h, --help', 'show this help']);
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return [
    `Usage: multifd ${command.name} ${command.usage}`,
    '',
    command.summary,
    ...(command.description ? ['', command.description.trim()] : []),
    '',
    'Options:',
    ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`),
    '',
    EXIT_STATUS,
    '',
  ].join('\n');
}
