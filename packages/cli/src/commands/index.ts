/**
 * The command table. A new command is one file in this folder exporting a
 * Command (see ../command.ts) and one entry here; help and dispatch follow.
 */
import type { Command } from '../command.js';
import { decodeCommand } from './decode.js';
import { receiveCommand } from './receive.js';
import { sendCommand } from './send.js';

export const COMMANDS: readonly Command[] = [decodeCommand, receiveCommand, sendCommand];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
