import { InvalidArgumentError } from '../errors';
import { sizeOf, type Mask } from './tensors';
import { quote } from '../quote';

/**
 * A mask on disk: magic `LTHMASK1`, a little-endian u32 header length, a JSON header naming
 * each tensor and its shape, then each tensor's bits (1 bit per weight, least significant first).
 */
const MAGIC = 'LTHMASK1';

export function encodeMask(mask: Mask): Uint8Array {
  const tensors = [...mask].map(([name, m]) => ({ name, shape: m.shape }));
  const header = new TextEncoder().encode(JSON.stringify({ tensors }));
  let bodySize = 0;
  for (const m of mask.values()) bodySize += Math.ceil(m.keep.length / 8);
  const out = new Uint8Array(8 + 4 + header.length + bodySize);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  let offset = 12 + header.length;
  for (const m of mask.values()) {
    const keep = m.keep;
    for (let i = 0; i < keep.length; i++) if (keep[i]) out[offset + (i >>> 3)]! |= 1 << (i & 7);
    offset += Math.ceil(keep.length / 8);
  }
  return out;
}

export function decodeMask(bytes: Uint8Array): Mask {
  const fail = (why: string): never => {
    throw new InvalidArgumentError(`not a mask: ${why}`);
  };
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) fail('bad magic');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (12 + headerLength > bytes.length) fail('header runs past the end');
  let header: { tensors: { name: string; shape: number[] }[] };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
  } catch {
    return fail('header is not JSON');
  }
  const mask: Mask = new Map();
  let offset = 12 + headerLength;
  for (const { name, shape } of header.tensors) {
    const n = sizeOf(shape);
    const byteCount = Math.ceil(n / 8);
    if (offset + byteCount > bytes.length) fail(`tensor ${quote(name)} runs past the end`);
    const keep = new Uint8Array(n);
    for (let i = 0; i < n; i++) keep[i] = (bytes[offset + (i >>> 3)]! >>> (i & 7)) & 1;
    mask.set(name, { shape, keep });
    offset += byteCount;
  }
  if (offset !== bytes.length) fail('trailing bytes');
  return mask;
}
