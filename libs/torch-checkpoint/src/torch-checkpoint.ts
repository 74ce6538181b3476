import { unzipSync } from 'fflate';
import { GlobalRef, PickleError, unpickle, type PyGlobal, type PyObject, type PyValue } from './pickle';

/** A tensor of a checkpoint, contiguous and row-major; float tensors carry float32 values. */
export interface TorchTensor extends PyObject {
  readonly pyType: 'tensor';
  readonly dtype: TorchDtype;
  readonly shape: readonly number[];
  /** Undefined for integer and boolean tensors (batch norm's num_batches_tracked): lth needs none. */
  readonly values: Float32Array | undefined;
}

export type TorchDtype =
  'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

interface Storage extends PyObject {
  readonly pyType: 'storage';
  readonly dtype: TorchDtype;
  readonly elementBytes: number;
  readonly bytes: Uint8Array;
}

/** torch/storage.py's typed storages, as torch.save names them in a persistent id. */
const STORAGE_TYPES: Record<string, { dtype: TorchDtype; bytes: number }> = {
  'torch.FloatStorage': { dtype: 'float32', bytes: 4 },
  'torch.HalfStorage': { dtype: 'float16', bytes: 2 },
  'torch.BFloat16Storage': { dtype: 'bfloat16', bytes: 2 },
  'torch.DoubleStorage': { dtype: 'float64', bytes: 8 },
  'torch.LongStorage': { dtype: 'int64', bytes: 8 },
  'torch.IntStorage': { dtype: 'int32', bytes: 4 },
  'torch.ShortStorage': { dtype: 'int16', bytes: 2 },
  'torch.CharStorage': { dtype: 'int8', bytes: 1 },
  'torch.ByteStorage': { dtype: 'uint8', bytes: 1 },
  'torch.BoolStorage': { dtype: 'bool', bytes: 1 },
};

export class CheckpointError extends Error {}

/**
 * Reads a file written by `torch.save` (PyTorch 1.6 and later: a zip holding `<name>/data.pkl`
 * and one `<name>/data/<key>` entry per storage; torch/serialization.py). Returns the saved object:
 * Maps for dicts, arrays for lists and tuples, TorchTensor for tensors. Only the callables torch.save
 * uses for tensors, parameters and OrderedDicts are built (see pickle.ts): a checkpoint holding any
 * other Python object is refused, naming the object's type.
 */
export function readTorchCheckpoint(file: Uint8Array): PyValue {
  if (!(file[0] === 0x50 && file[1] === 0x4b)) {
    throw new CheckpointError(
      file[0] === 0x80
        ? 'a legacy PyTorch file (before 1.6, not a zip): load it and save it again with torch.save ' +
            'in PyTorch 1.6 or later'
        : 'not a PyTorch checkpoint (torch.save writes a zip file)',
    );
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(file);
  } catch (e) {
    throw new CheckpointError(`not a readable zip file (${String((e as Error).message).slice(0, 80)})`);
  }
  const pickles = Object.keys(entries).filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pickles.length !== 1) throw new CheckpointError(`a zip without exactly one <name>/data.pkl (${pickles.length})`);
  const root = pickles[0]!.slice(0, -'data.pkl'.length);
  const byteorder = entries[`${root}byteorder`];
  if (byteorder && new TextDecoder().decode(byteorder) !== 'little')
    throw new CheckpointError('a big-endian checkpoint: lth reads little-endian ones');
  const persistentLoad = (pid: PyValue): Storage => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || !(pid[1] instanceof GlobalRef) || typeof pid[2] !== 'string')
      throw new CheckpointError('a persistent id that is not a tensor storage');
    const type = STORAGE_TYPES[pid[1].qualifiedName];
    if (!type) throw new CheckpointError(`storage type ${pid[1].qualifiedName.slice(0, 60)}, which lth does not read`);
    const bytes = entries[`${root}data/${pid[2]}`];
    if (!bytes) throw new CheckpointError(`storage ${pid[2].slice(0, 20)} is missing from the zip`);
    return { pyType: 'storage', dtype: type.dtype, elementBytes: type.bytes, bytes };
  };
  try {
    return unpickle(entries[pickles[0]!]!, { globals: TORCH_GLOBALS, persistentLoad });
  } catch (e) {
    if (e instanceof PickleError) throw new CheckpointError(`its pickle: ${e.message}`);
    throw e;
  }
}

const storageMarker: PyGlobal = {
  call: () => {
    throw new CheckpointError('a storage type called as a function');
  },
};

const TORCH_GLOBALS: ReadonlyMap<string, PyGlobal> = new Map<string, PyGlobal>([
  ['torch._utils._rebuild_tensor_v2', { call: rebuildTensor }],
  ['torch._utils._rebuild_parameter', { call: (args) => args[0]! }],
  ['torch._utils._rebuild_parameter_with_state', { call: (args) => args[0]! }],
  [
    'collections.OrderedDict',
    {
      call: (args) => new Map((args[0] as [string, PyValue][] | undefined) ?? []),
      // state_dict() carries its per-module `_metadata` (versions) as state: not weights.
      build: (object) => object,
    },
  ],
  ...Object.keys(STORAGE_TYPES).map((name): [string, PyGlobal] => [name, storageMarker]),
]);

/** torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks, ...). */
function rebuildTensor(args: PyValue[]): TorchTensor {
  const [storage, offset, size, stride] = args as [Storage, number, number[], number[]];
  if (storage?.pyType !== 'storage' || !Number.isSafeInteger(offset) || !Array.isArray(size) || !Array.isArray(stride))
    throw new CheckpointError('a tensor without a storage, offset, size and stride');
  if (size.length !== stride.length || ![...size, ...stride].every((n) => Number.isSafeInteger(n) && n >= 0))
    throw new CheckpointError('a tensor whose size and stride do not match');
  const count = size.reduce((a, b) => a * b, 1);
  const storageLength = Math.floor(storage.bytes.length / storage.elementBytes);
  const last = count === 0 ? offset : offset + size.reduce((a, n, i) => a + (n - 1) * stride[i]!, 0);
  if (last >= storageLength && count > 0)
    throw new CheckpointError(`a tensor reaching element ${last} of a storage of ${storageLength}`);
  if (!storage.dtype.startsWith('float') && storage.dtype !== 'bfloat16')
    return { pyType: 'tensor', dtype: storage.dtype, shape: size, values: undefined };
  const read = elementReader(storage);
  const values = new Float32Array(count);
  // Row-major walk over the index space, reading each element through the strides.
  const index = new Array<number>(size.length).fill(0);
  let at = offset;
  for (let i = 0; i < count; i++) {
    values[i] = read(at);
    for (let d = size.length - 1; d >= 0; d--) {
      index[d]!++;
      at += stride[d]!;
      if (index[d]! < size[d]!) break;
      at -= stride[d]! * size[d]!;
      index[d] = 0;
    }
  }
  return { pyType: 'tensor', dtype: storage.dtype, shape: size, values };
}

function elementReader(storage: Storage): (i: number) => number {
  const view = new DataView(storage.bytes.buffer, storage.bytes.byteOffset, storage.bytes.byteLength);
  switch (storage.dtype) {
    case 'float32':
      return (i) => view.getFloat32(i * 4, true);
    case 'float64':
      return (i) => view.getFloat64(i * 8, true);
    case 'float16':
      return (i) => halfToFloat(view.getUint16(i * 2, true));
    case 'bfloat16': {
      const word = new DataView(new ArrayBuffer(4));
      return (i) => {
        word.setUint32(0, view.getUint16(i * 2, true) << 16);
        return word.getFloat32(0);
      };
    }
    default:
      throw new CheckpointError(`no float reader for ${storage.dtype}`);
  }
}

/** IEEE 754 binary16 to a number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
