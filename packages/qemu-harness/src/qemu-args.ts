/** The QEMU command line for a harness VM, built from options (no side effects). */

/** A file copied into guest-physical memory by `-device loader` before the guest starts. */
export interface Loader {
  file: string;
  /** Guest-physical address. */
  addr: number;
}

export interface QemuArgsOptions {
  /** `-L DIR`: firmware/keymaps directory, e.g. `<prefix>/usr/share/qemu` of a private QEMU build. */
  dataDir?: string;
  /** Default `pc,accel=tcg` (no /dev/kvm here). */
  machine?: string;
  /** Guest RAM in MiB. Default 64, as in the captures. */
  memoryMiB?: number;
  /**
   * `-mem-prealloc`: touch all guest RAM at startup. On this VM the first
   * touch of a page is very slow (about 7 s per GiB of 4 KiB pages), so
   * without it a 2 GiB migration mostly measures page faults: QEMU reads every
   * untouched page on the source (zero check) and on the destination.
   */
  memPrealloc?: boolean;
  /** `-bios FILE`; null for QEMU's own. Callers pass the HLT BIOS by default (see startQemu). */
  bios?: string | null;
  loaders?: Loader[];
  /** `-uuid`: the uuid a multifd destination expects in each channel's init packet. */
  uuid?: string;
  /** `-incoming defer`: a destination that waits for `migrate-incoming`. */
  incomingDefer?: boolean;
  /** Appended last. */
  extraArgs?: string[];
}

/** Arguments for a paused (`-S`), headless VM with QMP on `qmpPath`. */
export function qemuArgs(options: QemuArgsOptions, qmpPath: string): string[] {
  const args: string[] = [];
  if (options.dataDir !== undefined) args.push('-L', options.dataDir);
  args.push('-machine', options.machine ?? 'pc,accel=tcg');
  args.push('-m', String(options.memoryMiB ?? 64));
  if (options.memPrealloc) args.push('-mem-prealloc');
  args.push('-nodefaults', '-display', 'none', '-S');
  if (options.bios != null) args.push('-bios', options.bios);
  for (const loader of options.loaders ?? []) {
    // QEMU's option parser splits on ',': a comma in a path must be doubled.
    args.push('-device', `loader,file=${loader.file.replaceAll(',', ',,')},addr=0x${loader.addr.toString(16)},force-raw=on`);
  }
  if (options.uuid !== undefined) args.push('-uuid', options.uuid);
  if (options.incomingDefer) args.push('-incoming', 'defer');
  args.push('-qmp', `unix:${qmpPath},server=on,wait=off`);
  args.push(...(options.extraArgs ?? []));
  return args;
}
