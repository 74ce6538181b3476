import { Status, type CallContext, type ServerMiddleware } from 'nice-grpc';
import { isAbortError } from 'abort-controller-x';
import type { Logger } from 'pino';
import { CancelledError, UnavailableError } from '@lth/core';
import { toServerError } from './status';
import { checkDecoded } from './request-decoding';

export interface CallOptions {
  log: Logger;
  /** Called once per finished call, for metrics. */
  onDone?: (method: string, code: Status, seconds: number) => void;
  /** Aborted at shutdown: long streams end early. */
  shutdown?: AbortSignal;
}

/**
 * Every call of a service goes through this: its signal also aborts at shutdown, its errors
 * become statuses in one place (toServerError), and its outcome is timed for metrics. The
 * listeners it adds are removed when the call ends.
 */
export function callMiddleware(options: CallOptions): ServerMiddleware {
  return async function* handleCall(call, context: CallContext) {
    const method = call.method.path.slice(call.method.path.lastIndexOf('/') + 1);
    const started = process.hrtime.bigint();
    const done = (code: Status) => options.onDone?.(method, code, Number(process.hrtime.bigint() - started) / 1e9);
    const controller = new AbortController();
    const onCancel = () => controller.abort(new CancelledError('cancelled by the client'));
    // UNAVAILABLE, not CANCELLED: the call did nothing wrong and succeeds against another replica or a restart.
    const onShutdown = () => controller.abort(new UnavailableError('the server is shutting down'));
    context.signal.addEventListener('abort', onCancel, { once: true });
    options.shutdown?.addEventListener('abort', onShutdown, { once: true });
    if (options.shutdown?.aborted) onShutdown();
    try {
      checkDecoded(call.request);
      const result = yield* call.next(call.request, { ...context, signal: controller.signal });
      done(Status.OK);
      return result;
    } catch (error) {
      if (context.signal.aborted && isAbortError(error)) {
        done(Status.CANCELLED);
        throw error;
      }
      const status = toServerError(error, options.log, method);
      done(status.code);
      throw status;
    } finally {
      context.signal.removeEventListener('abort', onCancel);
      options.shutdown?.removeEventListener('abort', onShutdown);
    }
  };
}
