import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@lth/core';
import { kindOfStatus, toServiceError } from './status';

const lines: string[] = [];
const log = pino({ level: 'error' }, { write: (l: string) => lines.push(l) });

test('typed errors map to their gRPC codes with their message', () => {
  assert.deepEqual(
    toServiceError(new InvalidArgumentError('bad rate'), log, 'Prune').code,
    grpc.status.INVALID_ARGUMENT,
  );
  assert.equal(toServiceError(new NotFoundError('no artifact'), log, 'Prune').code, grpc.status.NOT_FOUND);
  const e = toServiceError(new FailedPreconditionError('shape'), log, 'FineTune');
  assert.equal(e.code, grpc.status.FAILED_PRECONDITION);
  assert.equal(e.details, 'shape');
  assert.equal(kindOfStatus(grpc.status.NOT_FOUND), 'not-found');
});

test('anything else is INTERNAL, with the stack in the log and not on the wire', () => {
  const e = toServiceError(new TypeError('secret internals at /srv/x.js'), log, 'Evaluate');
  assert.equal(e.code, grpc.status.INTERNAL);
  assert.doesNotMatch(e.details!, /secret/);
  assert.match(lines.join(''), /secret internals/);
});
