// The JIT code JSC wrote down while a count ran (BUN_JSC_useJITDump): each piece's address, size,
// name and machine code, for bench/jit-names.ts and bench/jit-listing.ts.
import { readFileSync } from 'node:fs';

export interface JitCode {
  address: bigint;
  size: bigint;
  /** e.g. `JSC-FTL: bunApmHandler#AqZ2YG` */
  name: string;
  bytes: Uint8Array;
}

/** JIT_CODE_LOAD records of a jitdump file, in load order (https://github.com/torvalds/linux/blob/master/tools/perf/Documentation/jitdump-specification.txt). */
export function jitCode(path: string): JitCode[] {
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const codes: JitCode[] = [];
  for (let at = view.getUint32(8, true); at + 16 <= bytes.length; ) {
    const id = view.getUint32(at, true);
    const size = view.getUint32(at + 4, true);
    if (size === 0 || at + size > bytes.length) break; // the last record may be cut short: the dump was copied while the process wrote it
    if (id === 0) {
      const nameStart = at + 16 + 40;
      const nameEnd = bytes.indexOf(0, nameStart);
      const codeSize = view.getBigUint64(at + 40, true);
      codes.push({ address: view.getBigUint64(at + 32, true), size: codeSize, name: bytes.toString('utf8', nameStart, nameEnd), bytes: bytes.subarray(nameEnd + 1, nameEnd + 1 + Number(codeSize)) });
    }
    at += size;
  }
  return codes;
}

/** The code an address lies in: the last loaded there (JSC frees code and reuses its memory). */
export function codeAt(codes: JitCode[], address: bigint): JitCode | undefined {
  return codes.findLast((code) => code.address <= address && address < code.address + code.size);
}
