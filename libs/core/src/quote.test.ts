import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quote, QUOTE_MAX } from './quote';

test('a value is quoted whole when short, cut with its length when long, control characters escaped', () => {
  assert.equal(quote('mnist'), '"mnist"');
  assert.equal(quote('a\nb'), '"a\\nb"');
  const huge = 'x'.repeat(10_000_000);
  const q = quote(huge);
  assert.ok(q.length < QUOTE_MAX + 40, q);
  assert.match(q, /\.\.\. \(10000000 characters\)$/);
});
