import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientError, Status } from 'nice-grpc';
import pino from 'pino';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@lth/core';
import { kindOfStatus, toServerError } from './status';

const lines: string[] = [];
const log = pino({ level: 'error' }, { write: (l: string) => lines.push(l) });

test('typed errors map to their gRPC codes with their message', () => {
  assert.equal(toServerError(new InvalidArgumentError('bad rate'), log, 'Prune').code, Status.INVALID_ARGUMENT);
  assert.equal(toServerError(new NotFoundError('no artifact'), log, 'Prune').code, Status.NOT_FOUND);
  const e = toServerError(new FailedPreconditionError('shape'), log, 'FineTune');
  assert.equal(e.code, Status.FAILED_PRECONDITION);
  assert.equal(e.details, 'shape');
  assert.equal(kindOfStatus(Status.NOT_FOUND), 'not-found');
});

test('an upstream status passes through, marked as upstream', () => {
  const e = toServerError(
    new ClientError('/lth.data.v1.DataService/DescribeDataset', Status.NOT_FOUND, 'no such dataset'),
    log,
    'FineTune',
  );
  assert.equal(e.code, Status.NOT_FOUND);
  assert.equal(e.details, 'upstream: no such dataset');
});

test('anything else is INTERNAL, with the stack in the log and not on the wire', () => {
  const e = toServerError(new TypeError('secret internals at /srv/x.js'), log, 'Evaluate');
  assert.equal(e.code, Status.INTERNAL);
  assert.doesNotMatch(e.details, /secret/);
  assert.match(lines.join(''), /secret internals/);
});
