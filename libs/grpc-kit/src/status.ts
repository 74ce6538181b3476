import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { ErrorKind } from '@lth/core';

const CODES: Record<ErrorKind | 'data-loss', grpc.status> = {
  'invalid-argument': grpc.status.INVALID_ARGUMENT,
  'not-found': grpc.status.NOT_FOUND,
  'failed-precondition': grpc.status.FAILED_PRECONDITION,
  unavailable: grpc.status.UNAVAILABLE,
  cancelled: grpc.status.CANCELLED,
  'resource-exhausted': grpc.status.RESOURCE_EXHAUSTED,
  'data-loss': grpc.status.DATA_LOSS,
};

/**
 * The one place where errors become gRPC statuses. Typed errors keep their message; anything
 * else is INTERNAL, with the stack in the log and not on the wire.
 */
export function toServiceError(error: unknown, log: Logger, method: string): Partial<grpc.ServiceError> {
  const kind = (error as { kind?: string } | null)?.kind;
  if (kind && kind in CODES) {
    return { code: CODES[kind as ErrorKind], details: (error as Error).message, message: (error as Error).message };
  }
  if (
    (error as { code?: unknown })?.code !== undefined &&
    typeof (error as grpc.ServiceError).code === 'number' &&
    (error as grpc.ServiceError).details
  ) {
    // An upstream gRPC failure (this service as a client): pass its status through.
    const e = error as grpc.ServiceError;
    return { code: e.code, details: `upstream: ${e.details}` };
  }
  log.error({ err: error, method }, 'internal error');
  return { code: grpc.status.INTERNAL, details: `internal error in ${method}; see the service log` };
}

/** Client side: maps a gRPC status back to the core's error kinds. */
export function kindOfStatus(code: grpc.status): ErrorKind | 'internal' {
  for (const [kind, c] of Object.entries(CODES)) if (c === code) return kind as ErrorKind;
  return 'internal';
}
