import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { toServiceError } from './status';

export interface CallContext {
  /** Aborted when the client cancels or the server is shutting down. */
  signal: AbortSignal;
  log: Logger;
}

export interface HandlerOptions {
  log: Logger;
  /** Called once per finished call, for metrics. */
  onDone?: (method: string, code: number, seconds: number) => void;
  /** Aborted at shutdown: long streams end early. */
  shutdown?: AbortSignal;
}

function contextFor(
  call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>,
  options: HandlerOptions,
  method: string,
): CallContext {
  const controller = new AbortController();
  call.on('cancelled', () => controller.abort(new Error('cancelled by the client')));
  options.shutdown?.addEventListener('abort', () => controller.abort(new Error('server shutting down')), {
    once: true,
  });
  return { signal: controller.signal, log: options.log.child({ method }) };
}

/** Adapts an async handler that returns or throws to a grpc-js unary handler. */
export function unary<Req, Res>(
  method: string,
  options: HandlerOptions,
  handler: (request: Req, ctx: CallContext) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const started = process.hrtime.bigint();
    const ctx = contextFor(call as grpc.ServerUnaryCall<unknown, unknown>, options, method);
    handler(call.request, ctx).then(
      (response) => {
        options.onDone?.(method, 0, Number(process.hrtime.bigint() - started) / 1e9);
        callback(null, response);
      },
      (error: unknown) => {
        const status = toServiceError(error, ctx.log, method);
        options.onDone?.(method, status.code ?? 13, Number(process.hrtime.bigint() - started) / 1e9);
        callback(status as grpc.ServiceError);
      },
    );
  };
}

/**
 * Adapts an async handler that writes through `send` (respecting back-pressure) to a grpc-js
 * server-streaming handler.
 */
export function serverStream<Req, Res>(
  method: string,
  options: HandlerOptions,
  handler: (request: Req, send: (message: Res) => Promise<void>, ctx: CallContext) => Promise<void>,
): grpc.handleServerStreamingCall<Req, Res> {
  return (call) => {
    const started = process.hrtime.bigint();
    const ctx = contextFor(call as grpc.ServerWritableStream<unknown, unknown>, options, method);
    const send = (message: Res): Promise<void> =>
      new Promise((resolve, reject) => {
        if (ctx.signal.aborted) return reject(ctx.signal.reason);
        if (call.write(message)) resolve();
        else call.once('drain', resolve);
      });
    handler(call.request, send, ctx).then(
      () => {
        options.onDone?.(method, 0, Number(process.hrtime.bigint() - started) / 1e9);
        call.end();
      },
      (error: unknown) => {
        const status = toServiceError(error, ctx.log, method);
        options.onDone?.(method, status.code ?? 13, Number(process.hrtime.bigint() - started) / 1e9);
        // grpc-js sends a server stream's status when the call emits 'error'.
        if (!call.cancelled) call.emit('error', status);
      },
    );
  };
}
