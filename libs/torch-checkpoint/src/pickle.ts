/**
 * A Python pickle reader that builds data, never behaviour. It knows the opcodes `torch.save` and
 * plain Python data use (protocols 2 to 5): dicts, lists, tuples, strings, bytes, numbers, booleans,
 * None, the memo, and persistent ids. A pickle may also name Python callables (GLOBAL) and ask for
 * them to be called (REDUCE, NEWOBJ, BUILD): here a callable is looked up in a table the caller
 * provides, made of plain TypeScript builders, and any other name is refused with the name. Nothing
 * from the file is ever evaluated.
 *
 * Opcodes and their arguments: CPython's Lib/pickletools.py (the opcode table) and Lib/pickle.py.
 */

/** A Python dict (keys are strings or numbers in the data lth reads). */
export type PyDict = Map<PyKey, PyValue>;
export type PyKey = string | number | bigint | boolean | null;
export type PyValue = PyKey | Uint8Array | PyValue[] | PyDict | PyObject;

/** Whatever a builder of the caller's table returns (a tensor, a storage, a marker). */
export interface PyObject {
  readonly pyType: string;
}

/** How a named callable is built and called: `call(args)` for REDUCE/NEWOBJ, `build` for BUILD. */
export interface PyGlobal {
  call(args: PyValue[]): PyValue;
  /** BUILD's state on an object this global made; default: refuse. */
  build?(object: PyValue, state: PyValue): PyValue;
}

export interface UnpickleOptions {
  /** Callables the pickle may use, by `module.name`. */
  globals: ReadonlyMap<string, PyGlobal>;
  /** BINPERSID: torch.save stores tensor data outside the pickle and names it by a persistent id. */
  persistentLoad?(pid: PyValue): PyValue;
}

export class PickleError extends Error {}

/** A callable named by GLOBAL: called by REDUCE, or passed as a value (torch names storage types so). */
export class GlobalRef implements PyObject {
  readonly pyType = 'global';
  constructor(
    readonly qualifiedName: string,
    readonly definition: PyGlobal,
  ) {}
}

const MARK = Symbol('mark');
type StackItem = PyValue | typeof MARK;

const MAX_MEMO = 10_000_000;
const textDecoder = new TextDecoder('utf-8', { fatal: true });

export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const stack: StackItem[] = [];
  const memo = new Map<number, StackItem>();

  const fail = (what: string): never => {
    throw new PickleError(`${what} (at byte ${pos})`);
  };
  const need = (n: number) => {
    if (pos + n > bytes.length) fail('the pickle ends early');
  };
  const u8 = () => (need(1), bytes[pos++]!);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    const n = view.getBigUint64(pos, true);
    pos += 8;
    if (n > BigInt(bytes.length)) fail('a length beyond the pickle');
    return Number(n);
  };
  const take = (n: number) => {
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('a text argument without its newline');
    const text = new TextDecoder('latin1').decode(bytes.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const utf8 = (n: number) => {
    const raw = take(n);
    try {
      return textDecoder.decode(raw);
    } catch {
      return fail('a string that is not UTF-8');
    }
  };
  const pop = (): StackItem => (stack.length > 0 ? stack.pop()! : fail('an opcode with too few arguments'));
  const popValue = (): PyValue => {
    const item = pop();
    return item === MARK ? fail('a mark where a value belongs') : item;
  };
  const popMark = (): PyValue[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) fail('no mark to pop to');
    const items = stack.splice(at).slice(1);
    if (items.includes(MARK)) fail('a mark inside a tuple');
    return items as PyValue[];
  };
  const top = (): StackItem => (stack.length > 0 ? stack[stack.length - 1]! : fail('an empty stack'));
  const put = (index: number) => {
    if (memo.size >= MAX_MEMO) fail('more memo entries than lth reads');
    memo.set(index, top());
  };
  const get = (index: number) => {
    if (!memo.has(index)) fail(`memo entry ${index} was never stored`);
    stack.push(memo.get(index)!);
  };
  const lookup = (module: string, name: string) => {
    const qualifiedName = `${module}.${name}`;
    const definition = options.globals.get(qualifiedName);
    if (!definition) {
      throw new PickleError(
        `the checkpoint asks for the Python callable ${JSON.stringify(qualifiedName.slice(0, 120))}, which lth ` +
          `does not run: it reads only tensors, dicts, lists, strings and numbers`,
      );
    }
    stack.push(new GlobalRef(qualifiedName, definition));
  };
  // Which callable made an object, so BUILD can ask that callable what to do.
  const builtBy = new WeakMap<object, GlobalRef>();
  const call = (args: PyValue[]) => {
    const callable = pop();
    if (!(callable instanceof GlobalRef)) return fail('a call of something that is not a named callable');
    const made = callable.definition.call(args);
    if (typeof made === 'object' && made !== null) builtBy.set(made, callable);
    stack.push(made);
  };
  const dictOf = (target: StackItem): PyDict =>
    target instanceof Map ? target : fail('items set on something that is not a dict');
  const listOf = (target: StackItem): PyValue[] =>
    Array.isArray(target) ? target : fail('items appended to something that is not a list');

  for (;;) {
    const opcode = u8();
    switch (opcode) {
      case 0x80: // PROTO
        if (u8() > 5) fail('a pickle protocol above 5');
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        return popValue();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x64: // DICT
      case 0x6c: {
        // LIST
        const items = popMark();
        if (opcode === 0x6c) stack.push(items);
        else {
          const dict: PyDict = new Map();
          for (let i = 0; i + 1 < items.length; i += 2) dict.set(key(items[i]!), items[i + 1]!);
          stack.push(dict);
        }
        break;
      }
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const items: PyValue[] = [];
        for (let i = 0; i <= opcode - 0x85; i++) items.unshift(popValue());
        stack.push(items);
        break;
      }
      case 0x61: {
        // APPEND
        const value = popValue();
        listOf(top()).push(value);
        break;
      }
      case 0x65: {
        // APPENDS
        const values = popMark();
        listOf(top()).push(...values);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = popValue();
        const k = key(popValue());
        dictOf(top()).set(k, value);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const dict = dictOf(top());
        for (let i = 0; i + 1 < items.length; i += 2) dict.set(key(items[i]!), items[i + 1]!);
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(utf8(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(u64()));
        break;
      case 0x54: // BINSTRING (Python 2 str)
        stack.push(new TextDecoder('latin1').decode(take(i32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(new TextDecoder('latin1').decode(take(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(Uint8Array.from(take(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(Uint8Array.from(take(u8())));
        break;
      case 0x8e: // BINBYTES8
        stack.push(Uint8Array.from(take(u64())));
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x8a: // LONG1
        stack.push(longOf(take(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(longOf(take(u32())));
        break;
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x71: // BINPUT
        put(u8());
        break;
      case 0x72: // LONG_BINPUT
        put(u32());
        break;
      case 0x94: // MEMOIZE
        put(memo.size);
        break;
      case 0x70: // PUT
        put(Number.parseInt(line(), 10));
        break;
      case 0x68: // BINGET
        get(u8());
        break;
      case 0x6a: // LONG_BINGET
        get(u32());
        break;
      case 0x67: // GET
        get(Number.parseInt(line(), 10));
        break;
      case 0x63: {
        // GLOBAL
        const module = line();
        lookup(module, line());
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = popValue();
        const module = popValue();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL of non-strings');
        lookup(module as string, name as string);
        break;
      }
      case 0x52: // REDUCE: callable(*args)
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args); lth's builders make the value either way.
        const args = popValue();
        if (!Array.isArray(args)) fail('a call without an argument tuple');
        call(args as PyValue[]);
        break;
      }
      case 0x62: {
        // BUILD
        const state = popValue();
        const object = popValue();
        const maker = typeof object === 'object' && object !== null ? builtBy.get(object) : undefined;
        if (!maker?.definition.build) fail('BUILD on an object lth did not make or cannot update');
        stack.push(maker!.definition.build!(object, state));
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = popValue();
        if (!options.persistentLoad) fail('a persistent id where none is expected');
        stack.push(options.persistentLoad!(pid));
        break;
      }
      default:
        fail(`opcode 0x${opcode.toString(16).padStart(2, '0')}, which lth does not read`);
    }
  }

  function key(value: PyValue): PyKey {
    if (value === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof value)) return value as PyKey;
    return fail('a dict key that is not a string or a number');
  }
}

/** A little-endian two's-complement integer: a number when exact, else a bigint. */
function longOf(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) n -= 1n << BigInt(bytes.length * 8);
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}
