/** VM uuids as QEMU writes them: 16 raw bytes, shown in the 8-4-4-4-12 form. */
import { MultifdError } from '../errors.js';

export const UUID_SIZE = 16;

/** The uuid of a VM started without `-uuid`: all zero. */
export const NIL_UUID: Uint8Array = new Uint8Array(UUID_SIZE);

/** Parse "11111111-2222-3333-4444-555555555555" (dashes optional) into 16 bytes. */
export function parseUuid(text: string): Uint8Array {
  const hex = text.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) {
    throw new MultifdError('ERR_MULTIFD_BAD_OPTION', `not a uuid: ${JSON.stringify(text)}`);
  }
  const out = new Uint8Array(UUID_SIZE);
  for (let i = 0; i < UUID_SIZE; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Format 16 bytes as a lower-case uuid string. */
export function formatUuid(bytes: Uint8Array): string {
  const hex = Array.from(bytes.subarray(0, UUID_SIZE), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function uuidEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== UUID_SIZE || b.length !== UUID_SIZE) return false;
  for (let i = 0; i < UUID_SIZE; i++) if (a[i] !== b[i]) return false;
  return true;
}
