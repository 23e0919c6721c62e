/**
 * Options shared by `proxy` and `replay`: where the re-encoded migration goes
 * and how it is encoded.
 */
import type { RelayOptions } from '@multifd/transport';
import { integerOption, requiredOption, stringOption, usageError, uuidOption } from '../args.js';
import { PROFILE_OPTION, createRegistry, levelHelp, levelOption, methodOption, profileOption, zlibBackendOption } from '../codecs.js';
import type { OptionTable, OptionValues } from '../command.js';
import { tlsClientOptionTable, tlsClientOptions } from '../tls-options.js';

export function relayOptionTable(prefix: '' | 'out-'): OptionTable {
  return {
    to: { type: 'string', short: 't', valueName: 'HOST:PORT', description: 'the destination (QEMU -incoming, or multifd receive)' },
    [`${prefix}channels`]: { type: 'string', valueName: 'M', description: "outgoing channels (the destination's multifd-channels)" },
    [`${prefix}method`]: { type: 'string', valueName: 'X', description: "outgoing method (the destination's multifd-compression): nocomp|none, zlib, zstd" },
    [`${prefix}level`]: { type: 'string', valueName: 'L', description: levelHelp('outgoing ') },
    uuid: { type: 'string', valueName: 'U', description: "uuid for the outgoing channels (default: the incoming channels')" },
    'zlib-backend': { type: 'string', valueName: 'B', description: 'zlib implementation: node (default, native) or pako' },
    profile: { ...PROFILE_OPTION, description: `wire variant of the outgoing channels (the destination must match the source): ${PROFILE_OPTION.description.replace(/^wire variant: /, '')}` },
    ...tlsClientOptionTable(prefix),
    json: { type: 'boolean', description: 'print a JSON summary on stdout' },
  };
}

/** RelayOptions from the parsed flags; `defaults` fills outgoing channel count and method when not given. */
export function relayOptions(
  values: OptionValues,
  command: string,
  prefix: '' | 'out-',
  defaults: { channels?: number; method?: string } = {},
  cwd = process.cwd(),
): RelayOptions {
  const to = requiredOption(values, 'to', command);
  const channels = integerOption(values, `${prefix}channels`, { min: 1, max: 255 }, defaults.channels);
  if (channels === undefined) throw usageError(`${command}: --${prefix}channels is required (see 'multifd ${command} --help')`);
  const methodText = stringOption(values, `${prefix}method`) ?? defaults.method;
  if (methodText === undefined) throw usageError(`${command}: --${prefix}method is required (see 'multifd ${command} --help')`);
  const method = methodOption(createRegistry(), `--${prefix}method`, methodText);
  const level = levelOption(values, `${prefix}level`, method);
  const uuid = uuidOption(values);
  const tls = tlsClientOptions(values, command, prefix, cwd);
  return {
    to,
    channels,
    method: method.value,
    ...(level !== undefined ? { level } : {}),
    ...(uuid ? { uuid } : {}),
    ...(tls ? { tls } : {}),
    codecOptions: { backend: zlibBackendOption(values) },
    profile: profileOption(values),
  };
}

/** The one-line summary (or JSON) of a finished relay. */
export function relaySummary(verb: string, report: import('@multifd/transport').RelayReport, method: string, json: boolean): string {
  const out = report.output;
  const inMethod = report.input.method?.name ?? 'none';
  const summary = {
    input: { method: inMethod, channels: report.input.channels.length, epochs: report.input.epochs, bytes: report.input.channels.reduce((n, c) => n + c.bytes, 0) + (report.input.main?.bytes ?? 0) },
    output: { method, channels: out.channels.length, epochs: out.epochs, wireBytes: out.wireBytes, perChannel: out.channels },
    pages: out.pages,
    seconds: out.elapsedMs / 1000,
  };
  if (json) return `${JSON.stringify(summary, null, 2)}\n`;
  return `${verb} ${inMethod} x${summary.input.channels} -> ${method} x${summary.output.channels}: ${summary.input.epochs} epochs, ${out.pages} pages, ${(summary.input.bytes / 1e6).toFixed(2)} MB in, ${(out.wireBytes / 1e6).toFixed(2)} MB out in ${summary.seconds.toFixed(2)} s\n`;
}
