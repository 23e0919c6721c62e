/** Command-line parsing on node:util parseArgs, with usage errors as MultifdError. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MultifdError, parseUuid } from '@multifd/core';
import type { Command, OptionValues, ParsedArgs } from './command.js';

/** ERR_MULTIFD_USAGE with the given text. */
export function usageError(text: string): MultifdError {
  return new MultifdError('ERR_MULTIFD_USAGE', text);
}

/** True when argv (before any `--`) asks for help. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/** Parse a command's arguments strictly: unknown options are ERR_MULTIFD_USAGE. */
export function parseCommandArgs(command: Command, argv: readonly string[]): ParsedArgs {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, spec] of Object.entries(command.options)) {
    options[name] = {
      type: spec.type,
      ...(spec.short !== undefined ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    };
  }
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { values: values as OptionValues, positionals };
  } catch (e) {
    throw usageError(`${command.name}: ${parseArgsProblem(e)} (see 'multifd ${command.name} --help')`);
  }
}

/** What node:util parseArgs objected to, in our words (its own run on with advice about `--`). */
function parseArgsProblem(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  // "Option '-o, --out <value>' argument missing": the long name.
  const option = /'(?:-[^-\s], )?(-{1,2}[^' ,]+)/.exec(message)?.[1] ?? '';
  const code = (e as { code?: unknown }).code;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/ambiguous/.test(message)) return `${option} needs a value; one that starts with '-' is written ${option}=VALUE`;
    if (/does not take an argument/.test(message)) return `${option} takes no value`;
    if (/missing/.test(message)) return `${option} needs a value`;
  }
  return message.split(/\.\s/)[0] ?? message;
}

/** A string option's value (the last one when given several times). */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  const last = Array.isArray(v) ? v[v.length - 1] : v;
  return typeof last === 'string' ? last : undefined;
}

export function booleanOption(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/** An integer option within [min, max]; absent gives `fallback`. Anything else is ERR_MULTIFD_USAGE. */
export function integerOption(values: OptionValues, name: string, range: { min: number; max: number }, fallback?: number): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < range.min || n > range.max) {
    throw usageError(`--${name} ${text}: expected an integer from ${range.min} to ${range.max}`);
  }
  return n;
}

/** A required string option. */
export function requiredOption(values: OptionValues, name: string, command: string): string {
  const v = stringOption(values, name);
  if (v === undefined) throw usageError(`${command}: --${name} is required (see 'multifd ${command} --help')`);
  return v;
}

/** --uuid as 16 bytes (undefined when absent); a malformed one is ERR_MULTIFD_USAGE. */
export function uuidOption(values: OptionValues): Uint8Array | undefined {
  const text = stringOption(values, 'uuid');
  if (text === undefined) return undefined;
  try {
    return parseUuid(text);
  } catch (e) {
    throw usageError(`--uuid: ${MultifdError.is(e) ? e.detail : String(e)}`);
  }
}

/** A channel count option (1-255) that must be given. */
export function channelsOption(values: OptionValues, name: string, command: string): number {
  const n = integerOption(values, name, { min: 1, max: 255 });
  if (n === undefined) throw usageError(`${command}: --${name} is required (see 'multifd ${command} --help')`);
  return n;
}
