import { zipSync } from 'fflate';
import type { WeightTensor } from '@lth/core';
import { torchvisionKeyOf } from './torchvision-import';

/**
 * A PyTorch state_dict file, as `torch.save(model.state_dict(), f)` writes it (the zip format of PyTorch
 * 1.6+): `archive/data.pkl` pickles an OrderedDict of key -> tensor, each tensor rebuilt by
 * `torch._utils._rebuild_tensor_v2` from a float32 storage stored as `archive/data/<n>`. Only the
 * globals `torch.load(..., weights_only=True)` allows are used, so the file loads in PyTorch's safe mode.
 * Keys follow torchvision (`layer1.0.conv1.weight`, `bn1.running_mean`, `fc.weight`) and layouts
 * PyTorch's (kernels [out, in, h, w], dense [out, in]).
 */
export function torchStateDictFile(weights: readonly WeightTensor[]): Uint8Array {
  const pickle = new PickleWriter();
  pickle.proto(2);
  pickle.orderedDict();
  pickle.op(MARK);
  const files: Record<string, Uint8Array> = {};
  weights.forEach((w, i) => {
    const shape = torchShape(w.shape);
    const values = toTorchLayout(w.values, w.shape);
    files[`archive/data/${i}`] = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    pickle.unicode(torchvisionKeyOf(w.name));
    pickle.global('torch._utils', '_rebuild_tensor_v2');
    pickle.op(MARK);
    pickle.op(MARK);
    pickle.unicode('storage');
    pickle.global('torch', 'FloatStorage');
    pickle.unicode(String(i));
    pickle.unicode('cpu');
    pickle.int(values.length);
    pickle.op(TUPLE);
    pickle.op(BINPERSID);
    pickle.int(0); // storage offset
    pickle.tuple(shape);
    pickle.tuple(contiguousStrides(shape));
    pickle.op(NEWFALSE); // requires_grad
    pickle.orderedDict(); // backward hooks
    pickle.op(TUPLE);
    pickle.op(REDUCE);
  });
  pickle.op(SETITEMS);
  pickle.op(STOP);
  return zipSync(
    {
      'archive/data.pkl': pickle.bytes(),
      'archive/byteorder': new TextEncoder().encode('little'),
      ...files,
      'archive/version': new TextEncoder().encode('3\n'),
    },
    { level: 0 },
  );
}

/** TensorFlow's [h, w, in, out] as PyTorch's [out, in, h, w]; [in, out] as [out, in]. */
function torchShape(shape: readonly number[]): number[] {
  if (shape.length === 4) return [shape[3]!, shape[2]!, shape[0]!, shape[1]!];
  if (shape.length === 2) return [shape[1]!, shape[0]!];
  return [...shape];
}

function toTorchLayout(values: Float32Array, shape: readonly number[]): Float32Array {
  if (shape.length === 2) {
    const [inputs, outputs] = shape as [number, number];
    const out = new Float32Array(values.length);
    for (let i = 0; i < inputs; i++) for (let o = 0; o < outputs; o++) out[o * inputs + i] = values[i * outputs + o]!;
    return out;
  }
  if (shape.length === 4) {
    const [h, w, inputs, outputs] = shape as [number, number, number, number];
    const out = new Float32Array(values.length);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let i = 0; i < inputs; i++)
          for (let o = 0; o < outputs; o++)
            out[((o * inputs + i) * h + y) * w + x] = values[((y * w + x) * inputs + i) * outputs + o]!;
    return out;
  }
  return Float32Array.from(values);
}

function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = step;
    step *= shape[d]!;
  }
  return strides;
}

// Pickle opcodes (Lib/pickletools.py).
const MARK = 0x28; // (
const TUPLE = 0x74; // t
const BINPERSID = 0x51; // Q
const REDUCE = 0x52; // R
const SETITEMS = 0x75; // u
const STOP = 0x2e; // .
const NEWFALSE = 0x89;
const EMPTY_TUPLE = 0x29; // )

class PickleWriter {
  private readonly chunks: number[] = [];

  op(code: number): void {
    this.chunks.push(code);
  }

  proto(version: number): void {
    this.chunks.push(0x80, version);
  }

  /** BININT: a signed 32-bit little-endian integer. */
  int(n: number): void {
    if (!Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 31) throw new RangeError(`${n} does not fit a BININT`);
    this.chunks.push(0x4a, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }

  /** BINUNICODE: a UTF-8 string with its 32-bit length. */
  unicode(s: string): void {
    const bytes = new TextEncoder().encode(s);
    const n = bytes.length;
    this.chunks.push(0x58, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff, ...bytes);
  }

  /** GLOBAL: `module.name`, looked up by the unpickler (which PyTorch's safe mode restricts). */
  global(module: string, name: string): void {
    this.chunks.push(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }

  tuple(items: readonly number[]): void {
    this.op(MARK);
    for (const n of items) this.int(n);
    this.op(TUPLE);
  }

  /** collections.OrderedDict(): an empty one on the stack. */
  orderedDict(): void {
    this.global('collections', 'OrderedDict');
    this.op(EMPTY_TUPLE);
    this.op(REDUCE);
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}
