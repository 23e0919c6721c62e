/**
 * The command table. A new command is one file in this folder exporting a
 * Command (see ../command.ts) and one entry here; help and dispatch follow.
 */
import type { Command } from '../command.js';
import { decodeCommand } from './decode.js';
import { receiveCommand } from './receive.js';
import { sendCommand } from './send.js';
import { proxyCommand } from './proxy.js';
import { replayCommand } from './replay.js';
import { compareCommand } from './compare.js';

export const COMMANDS: readonly Command[] = [decodeCommand, receiveCommand, sendCommand, proxyCommand, replayCommand, compareCommand];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
