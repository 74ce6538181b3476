import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileNamePattern, namePatternError, NAME_PATTERN_MAX_LENGTH } from './name-pattern';
import { pruningSchema } from '../spec/campaign-schema';

test('exclude patterns match weight names as regular expressions do', () => {
  assert.equal(compileNamePattern('^fc2/').test('fc2/kernel'), true);
  assert.equal(compileNamePattern('^fc2/').test('fc1/kernel'), false);
  assert.equal(compileNamePattern('block[12]_conv\\d/kernel$').test('block2_conv1/kernel'), true);
  assert.equal(compileNamePattern('(?i)HEAD').test('head/kernel'), true);
});

// A backtracking engine takes exponential time on this pattern (about 2^40 steps for a 40-character name);
// RE2's automaton answers at once. The test's timeout is the bound: RegExp would never finish it.
test('a pattern that makes a backtracking engine explode is answered in linear time', { timeout: 10_000 }, () => {
  const name = 'a'.repeat(40) + '!/kernel';
  assert.equal(compileNamePattern('^(a|a?)+$').test(name), false);
  assert.equal(compileNamePattern('^(a+)+b').test('a'.repeat(10_000)), false);
});

test('backreferences, lookaround, huge repeats and long patterns are refused with a bounded reason', () => {
  for (const [pattern, reason] of [
    ['((', /missing closing \)/],
    ['(?=x)', /unsupported Perl syntax/],
    ['(a)\\1', /invalid escape sequence/],
    ['(a{1000}){1000}', /invalid repeat count/],
    ['x'.repeat(NAME_PATTERN_MAX_LENGTH + 1), /longer than 256 characters/],
  ] as const) {
    const error = namePatternError(pattern);
    assert.match(error ?? 'accepted', reason, pattern.slice(0, 20));
    assert.ok(error!.length < 120, 'the reason quotes the pattern');
  }
  assert.equal(namePatternError('^stem/'), undefined);
});

test('the campaign schema names the pattern at fault and bounds how many there are', () => {
  const bad = pruningSchema.safeParse({ excludePatterns: ['^ok/', '(?<=x)y'] });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error!.issues[0]!.path, ['excludePatterns', 1]);
  assert.match(bad.error!.issues[0]!.message, /not a valid RE2 regular expression/);
  const many = pruningSchema.safeParse({ excludePatterns: Array.from({ length: 65 }, (_, i) => `^l${i}/`) });
  assert.equal(many.success, false);
  assert.match(many.error!.issues[0]!.message, /64/);
  const long = pruningSchema.safeParse({ excludePatterns: ['a'.repeat(300)] });
  assert.equal(long.error!.issues.length, 1, 'one message for one field');
});
