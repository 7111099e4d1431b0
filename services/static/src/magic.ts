/** Leading bytes kept per archive file: enough for every magic number and the ELF type field. */
export const HEAD_BYTES = 64;

export type ExecutableFormat = 'elf' | 'pe' | 'mach-o';

export interface Executable {
  format: ExecutableFormat;
  /** A shared library or native module (loaded, not launched): native prebuilds are these. */
  library: boolean;
}

/**
 * Whether a file starting with this byte can be an executable at all: ELF (0x7f), PE (`M`), Mach-O
 * (0xfe, 0xce, 0xcf and universal 0xca). `executableOf` answers undefined for every other head, so
 * a reader keeps only these heads (most files of a tree are none of them).
 */
export function mayBeExecutable(firstByte: number | undefined): boolean {
  return firstByte === 0x7f || firstByte === 0x4d || firstByte === 0xfe || firstByte === 0xce || firstByte === 0xcf || firstByte === 0xca;
}

const LIBRARY_NAME = /\.(so(\.\d+)*|node|dll|pyd|dylib|bundle)$/i;

/**
 * Recognizes executables by magic bytes, never by name (a `.txt` that is an ELF is an ELF).
 * The name only tells a library from a program where the format does not (PIE executables
 * and shared objects share ELF type DYN; DLLs and EXEs share the MZ header).
 */
export function executableOf(path: string, head: Buffer): Executable | undefined {
  if (!mayBeExecutable(head[0])) return undefined;
  const library = LIBRARY_NAME.test(path);
  if (head.length >= 18 && head[0] === 0x7f && head.toString('latin1', 1, 4) === 'ELF') {
    const little = head[5] !== 2;
    const type = little ? head.readUInt16LE(16) : head.readUInt16BE(16);
    // 1 = relocatable object (.o): a build input, not something that runs.
    if (type === 1) return undefined;
    return { format: 'elf', library: type === 3 && library };
  }
  if (head.length >= 64 && head[0] === 0x4d && head[1] === 0x5a) {
    // DOS header: e_lfanew must point somewhere plausible for a PE image.
    const lfanew = head.readUInt32LE(0x3c);
    if (lfanew >= 0x40 && lfanew < 0x10000) return { format: 'pe', library };
    return undefined;
  }
  if (head.length >= 8) {
    const magic = head.readUInt32BE(0);
    if (magic === 0xfeedface || magic === 0xfeedfacf || magic === 0xcefaedfe || magic === 0xcffaedfe) return { format: 'mach-o', library };
    // Universal binaries share 0xcafebabe with Java classes; a small architecture count tells them apart.
    if (magic === 0xcafebabe && head.readUInt32BE(4) > 0 && head.readUInt32BE(4) < 20) return { format: 'mach-o', library };
  }
  return undefined;
}
