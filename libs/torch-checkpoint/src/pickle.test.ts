import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PickleError, unpickle, type PyGlobal } from './pickle';

const NO_GLOBALS = { globals: new Map<string, PyGlobal>() };
const bytes = (...parts: (string | number[])[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)));

test('reads the data Python pickles: dicts, lists, tuples, strings, numbers, None, booleans, the memo', () => {
  // As pickle.dumps({'a': [1, 300, -5, 2**70, 0.5, None, True], 'b': ('x', b'\x01')}) writes it,
  // and 'c' the same tuple as 'b' (a memo reference).
  const pickle = bytes(
    [0x80, 2],
    '}q\x00(X\x01\x00\x00\x00aq\x01]q\x02(K\x01M\x2c\x01J\xfb\xff\xff\xff',
    [0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x40],
    'G',
    [0x3f, 0xe0, 0, 0, 0, 0, 0, 0],
    'N',
    [0x88],
    'eX\x01\x00\x00\x00bq\x03X\x01\x00\x00\x00xq\x04C\x01\x01\x86q\x05X\x01\x00\x00\x00ch\x05u.',
  );
  const value = unpickle(pickle, NO_GLOBALS) as Map<string, unknown>;
  assert.deepEqual(value.get('a'), [1, 300, -5, 2n ** 70n, 0.5, null, true]);
  assert.deepEqual(value.get('b'), ['x', Uint8Array.of(1)]);
  assert.equal(value.get('c'), value.get('b'));
});

test('never runs a callable it was not given: os.system is refused by name', () => {
  // pickle.dumps(os.system-calling object): GLOBAL posix.system, ('echo hi',), REDUCE
  const pickle = bytes([0x80, 2], 'cposix\nsystem\nq\x00X\x07\x00\x00\x00echo hiq\x01\x85q\x02Rq\x03.');
  assert.throws(() => unpickle(pickle, NO_GLOBALS), /Python callable "posix.system", which lth does not run/);
  // builtins.eval by STACK_GLOBAL (protocol 4) is refused the same way.
  const stackGlobal = bytes(
    [0x80, 4],
    [0x8c, 8],
    'builtins',
    [0x94, 0x8c, 4],
    'eval',
    [0x94, 0x93, 0x94],
    [0x8c, 1],
    '1',
    [0x85, 0x52, 0x2e],
  );
  assert.throws(() => unpickle(stackGlobal, NO_GLOBALS), /"builtins.eval"/);
});

test('calls only the builders it was given, with the arguments the pickle holds', () => {
  const made: unknown[] = [];
  const globals = new Map<string, PyGlobal>([
    ['collections.OrderedDict', { call: (args) => (made.push(args), new Map()) }],
  ]);
  const pickle = bytes([0x80, 2], 'ccollections\nOrderedDict\nq\x00)Rq\x01X\x01\x00\x00\x00kK\x07s.');
  assert.deepEqual(unpickle(pickle, { globals }), new Map([['k', 7]]));
  assert.deepEqual(made, [[]]);
});

test('a broken pickle is an error saying where, not a crash or a hang', () => {
  assert.throws(() => unpickle(bytes([0x80, 2], 'X\xff\x00\x00\x00ab'), NO_GLOBALS), /ends early \(at byte/);
  assert.throws(() => unpickle(bytes([0x80, 2], 'h\x05.'), NO_GLOBALS), /memo entry 5 was never stored/);
  assert.throws(() => unpickle(bytes([0x80, 2], 'u.'), NO_GLOBALS), PickleError);
  assert.throws(() => unpickle(bytes([0x80, 2, 0x01]), NO_GLOBALS), /opcode 0x01, which lth does not read/);
  assert.throws(() => unpickle(bytes([0x80, 9]), NO_GLOBALS), /protocol above 5/);
});
