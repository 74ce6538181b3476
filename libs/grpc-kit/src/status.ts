import { ClientError, ServerError, Status } from 'nice-grpc';
import type { Logger } from 'pino';
import type { ErrorKind } from '@lth/core';

const CODES: Record<ErrorKind | 'data-loss', Status> = {
  'invalid-argument': Status.INVALID_ARGUMENT,
  'not-found': Status.NOT_FOUND,
  'failed-precondition': Status.FAILED_PRECONDITION,
  unavailable: Status.UNAVAILABLE,
  cancelled: Status.CANCELLED,
  'resource-exhausted': Status.RESOURCE_EXHAUSTED,
  'data-loss': Status.DATA_LOSS,
};

/**
 * The one place where errors become gRPC statuses. Typed errors keep their message; an upstream
 * call's status passes through; anything else is INTERNAL, with the stack in the log and not on
 * the wire.
 */
export function toServerError(error: unknown, log: Logger, method: string): ServerError {
  if (error instanceof ServerError) return error;
  const kind = (error as { kind?: string } | null)?.kind;
  if (kind && kind in CODES) return new ServerError(CODES[kind as ErrorKind], (error as Error).message);
  if (error instanceof ClientError) return new ServerError(error.code, `upstream: ${error.details}`);
  log.error({ err: error, method }, 'internal error');
  return new ServerError(Status.INTERNAL, `internal error in ${method}; see the service log`);
}

/** Client side: maps a gRPC status back to the core's error kinds. */
export function kindOfStatus(code: Status): ErrorKind | 'internal' {
  for (const [kind, c] of Object.entries(CODES)) if (c === code) return kind as ErrorKind;
  return 'internal';
}
