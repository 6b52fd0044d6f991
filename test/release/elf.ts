import { readFileSync } from "node:fs";

/** What the kernel and the loader read from an ELF64 executable: its CPU and its program interpreter. */
export function elfOf(path: string): { machine: "x86-64" | "aarch64" | number; interpreter: string | undefined } {
  const file = readFileSync(path);
  if (file.readUInt32BE(0) !== 0x7f454c46 || file[4] !== 2) throw new Error(`${path} is not an ELF64 file`);
  const code = file.readUInt16LE(18);
  const machine = code === 62 ? "x86-64" : code === 183 ? "aarch64" : code;
  const [phoff, phentsize, phnum] = [Number(file.readBigUInt64LE(32)), file.readUInt16LE(54), file.readUInt16LE(56)];
  for (let i = 0; i < phnum; i++) {
    const header = phoff + i * phentsize;
    if (file.readUInt32LE(header) !== 3) continue; // PT_INTERP
    const offset = Number(file.readBigUInt64LE(header + 8));
    const size = Number(file.readBigUInt64LE(header + 32));
    return { machine, interpreter: file.subarray(offset, offset + size - 1).toString() };
  }
  return { machine, interpreter: undefined };
}
