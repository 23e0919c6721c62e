/**
 * The shape of a command. Each command is one object in its own file under
 * commands/, listed once in commands/index.ts; main() parses its options
 * with node:util parseArgs and builds its --help from the same table.
 */
import type { CliIo } from './io.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder shown in help for a string option ("DIR"). */
  valueName?: string;
  /** One line for --help. */
  description: string;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** Parsed values: strings, booleans, or arrays of them for `multiple` options. */
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface ParsedArgs {
  values: OptionValues;
  positionals: string[];
}

export interface Command {
  name: string;
  /** One line for `multifd --help`. */
  summary: string;
  /** Arguments after the command name, e.g. "[--out DIR] FILE...". */
  usage: string;
  /** Paragraphs for `multifd <command> --help`. */
  description?: string;
  options: OptionTable;
  /** Runs the command; returns the exit code. Throws MultifdError on failure. */
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

/** Identity helper: type inference for a command object. */
export function defineCommand(command: Command): Command {
  return command;
}
