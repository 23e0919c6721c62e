/** Paths of the repository's QEMU fixtures (`<repo>/fixtures`), from src/ and dist/ alike. */
import { fileURLToPath } from 'node:url';

/** `<repo>/fixtures`: this file sits in packages/qemu-harness/{src,dist}/. */
export const FIXTURES_DIR = fileURLToPath(new URL('../../../fixtures/', import.meta.url));

/** A path below `<repo>/fixtures`. */
export function fixturePath(relative: string): string {
  return `${FIXTURES_DIR}${relative}`;
}

/** The 64 KiB BIOS of HLT bytes the captures used: no firmware runs, memory stays as loaded. */
export const HLT_BIOS = fixturePath('qemu-7.2/bios-hlt-64k.bin');

/** The 4 MiB blob of the captures (1024 mixed pages), loaded at 0x100000 there. */
export const DEV_BLOB = fixturePath('qemu-7.2/blobs/dev-1.bin');
