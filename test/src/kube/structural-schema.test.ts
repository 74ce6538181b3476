import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pruneAndDefault, structuralValidator } from './structural-schema';

// The documented example of pruning and defaulting, shaped like a CRD's schema.
const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        replicas: { type: 'integer', default: 1, minimum: 1 },
        image: { type: 'string' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        note: { type: 'string', nullable: true },
      },
    },
  },
};

test('unknown fields are pruned, disallowed nulls dropped and defaults filled; preserved subtrees are kept', () => {
  const obj = {
    spec: { image: null, unknown: 1, labels: { a: 'b' }, extra: { anything: { goes: 1 } }, note: null },
    other: true,
  };
  pruneAndDefault(obj, schema);
  assert.deepEqual(obj, {
    spec: { replicas: 1, labels: { a: 'b' }, extra: { anything: { goes: 1 } }, note: null },
  });
});

test('a violation names the field by its path', () => {
  const validate = structuralValidator(schema.properties.spec, 'spec');
  assert.deepEqual(validate({ replicas: 0 }), ['spec.replicas: Invalid value: must be >= 1']);
  assert.deepEqual(validate({ replicas: 2, image: 'x' }), []);
});
