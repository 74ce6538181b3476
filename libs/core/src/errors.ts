/**
 * Typed errors of the core. Each names a failure class that the edges (gRPC services, CLI)
 * map to a status code or exit code in one place; nothing here knows about either.
 */
export type ErrorKind =
  'invalid-argument' | 'not-found' | 'failed-precondition' | 'unavailable' | 'cancelled' | 'resource-exhausted';

export class LthError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidArgumentError extends LthError {
  constructor(message: string) {
    super('invalid-argument', message);
  }
}

export class NotFoundError extends LthError {
  constructor(message: string) {
    super('not-found', message);
  }
}

export class FailedPreconditionError extends LthError {
  constructor(message: string) {
    super('failed-precondition', message);
  }
}

export class UnavailableError extends LthError {
  constructor(message: string) {
    super('unavailable', message);
  }
}

export class CancelledError extends LthError {
  constructor(message: string) {
    super('cancelled', message);
  }
}

export class ResourceExhaustedError extends LthError {
  constructor(message: string) {
    super('resource-exhausted', message);
  }
}
