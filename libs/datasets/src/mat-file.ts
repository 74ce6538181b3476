import { inflateSync } from 'node:zlib';
import { InvalidArgumentError } from '@lth/core';

/**
 * The numeric arrays of a MATLAB level 5 MAT-file (what `scipy.io.savemat` and MATLAB's `save -v7`
 * write; SVHN ships so). Format: MathWorks, "MAT-File Format" (matfile_format.pdf), chapter 1: a
 * 128-byte header, then data elements, each an 8-byte tag (type, byte count) or a 4-byte "small
 * element" tag, padded to 8 bytes; miCOMPRESSED elements hold a zlib stream of one element.
 * Arrays are column-major, as MATLAB stores them. Only real, non-sparse numeric arrays are read;
 * v7.3 files (HDF5) are not MAT level 5 and are refused.
 */
export interface MatArray {
  dims: number[];
  /** Column-major values, in the array's own type. */
  data: Uint8Array | Float64Array | Float32Array | Int32Array | Uint16Array | Int16Array | Int8Array | Uint32Array;
}

const MI = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  MATRIX: 14,
  COMPRESSED: 15,
} as const;

const TYPED: Record<number, { bytes: number; make: (b: ArrayBuffer) => MatArray['data'] }> = {
  [MI.INT8]: { bytes: 1, make: (b) => new Int8Array(b) },
  [MI.UINT8]: { bytes: 1, make: (b) => new Uint8Array(b) },
  [MI.INT16]: { bytes: 2, make: (b) => new Int16Array(b) },
  [MI.UINT16]: { bytes: 2, make: (b) => new Uint16Array(b) },
  [MI.INT32]: { bytes: 4, make: (b) => new Int32Array(b) },
  [MI.UINT32]: { bytes: 4, make: (b) => new Uint32Array(b) },
  [MI.SINGLE]: { bytes: 4, make: (b) => new Float32Array(b) },
  [MI.DOUBLE]: { bytes: 8, make: (b) => new Float64Array(b) },
};

interface Element {
  type: number;
  data: Uint8Array;
  /** Offset of the next element. */
  next: number;
}

export function readMatFile(bytes: Uint8Array, what: string): Map<string, MatArray> {
  const fail = (why: string): never => {
    throw new InvalidArgumentError(`${what}: ${why}`);
  };
  if (bytes.length < 128) fail('too short for a MAT-file');
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, 116));
  if (text.startsWith('MATLAB 7.3')) fail('a MATLAB v7.3 (HDF5) file: save it with -v7 (or scipy.io.savemat)');
  if (!text.startsWith('MATLAB 5.0 MAT-file')) fail('not a MATLAB level 5 MAT-file');
  if (bytes[126] !== 0x49 || bytes[127] !== 0x4d) fail('a big-endian MAT-file: lth reads little-endian ones');

  const element = (buf: Uint8Array, at: number): Element => {
    if (at + 8 > buf.length) fail('a data element cut short');
    const view = new DataView(buf.buffer, buf.byteOffset + at, 8);
    const first = view.getUint32(0, true);
    if (first >>> 16 !== 0) {
      // Small data element: type in the low 16 bits, byte count in the high 16, data in the next 4.
      const size = first >>> 16;
      if (size > 4) fail('a small data element longer than 4 bytes');
      return { type: first & 0xffff, data: buf.subarray(at + 4, at + 4 + size), next: at + 8 };
    }
    const size = view.getUint32(4, true);
    if (at + 8 + size > buf.length) fail('a data element longer than the file');
    const padded = first === MI.COMPRESSED ? size : Math.ceil(size / 8) * 8;
    return { type: first, data: buf.subarray(at + 8, at + 8 + size), next: at + 8 + padded };
  };

  const numeric = (e: Element): MatArray['data'] => {
    const t = TYPED[e.type] ?? fail(`data of type ${e.type}, which lth does not read`);
    if (e.data.length % t.bytes !== 0) fail('numeric data of a partial element');
    // A copy of exactly these bytes (a Buffer's slice() would share its whole pool), aligned for the type.
    return t.make(new Uint8Array(e.data).buffer);
  };

  const matrix = (data: Uint8Array): [string, MatArray] => {
    const flags = element(data, 0);
    const mxClass = flags.data[0]!;
    if (flags.data[1]! & 0x08) fail('a complex array');
    if (mxClass < 4 || mxClass > 15) fail(`an array of MATLAB class ${mxClass} (lth reads numeric arrays only)`);
    const dimsElement = element(data, flags.next);
    const dims = [...(numeric(dimsElement) as Int32Array)];
    const nameElement = element(data, dimsElement.next);
    const name = new TextDecoder('latin1').decode(nameElement.data);
    const real = element(data, nameElement.next);
    const values = numeric(real);
    if (dims.length > 8 || values.length !== dims.reduce((a, b) => a * b, 1))
      fail(`${name.slice(0, 40)}: ${values.length} values for ${dims.length} dimensions [${dims.slice(0, 8)}]`);
    return [name, { dims, data: values }];
  };

  const arrays = new Map<string, MatArray>();
  let at = 128;
  while (at < bytes.length) {
    let e = element(bytes, at);
    at = e.next;
    if (e.type === MI.COMPRESSED) {
      let inflated: Uint8Array;
      try {
        inflated = inflateSync(e.data);
      } catch {
        return fail('a compressed element that does not inflate');
      }
      e = element(inflated, 0);
    }
    if (e.type !== MI.MATRIX) continue;
    const [name, array] = matrix(e.data);
    arrays.set(name, array);
  }
  return arrays;
}
