import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';

export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export interface ServiceBinding {
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}

export interface RunningServer {
  /** host:port actually bound (port 0 resolved). */
  address: string;
  port: number;
  setServing(serving: boolean): void;
  /** Aborted when shutdown starts, so long streams end. */
  shutdownSignal: AbortSignal;
  /** NOT_SERVING, end long streams, drain, then force after the grace period. */
  shutdown(graceMs?: number): Promise<void>;
}

/**
 * Binds a server with the standard grpc.health.v1 service, which says NOT_SERVING until
 * setServing(true) (when the backend and data are ready).
 */
export async function startServer(
  address: string,
  services: (ServiceBinding & { name: string })[],
  log: Logger,
): Promise<RunningServer> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  const names = services.map((s) => s.name);
  const health = new HealthImplementation(Object.fromEntries(['', ...names].map((n) => [n, 'NOT_SERVING' as const])));
  health.addToServer(server);
  for (const s of services) server.addService(s.definition, s.implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const host = address.slice(0, address.lastIndexOf(':'));
  const bound = `${host}:${port}`;
  const shutdownController = new AbortController();
  const setServing = (serving: boolean) => {
    for (const n of ['', ...names]) health.setStatus(n, serving ? 'SERVING' : 'NOT_SERVING');
  };
  let stopping: Promise<void> | undefined;
  return {
    address: bound,
    port,
    setServing,
    shutdownSignal: shutdownController.signal,
    shutdown: (graceMs = 10_000) =>
      (stopping ??= new Promise<void>((resolve) => {
        setServing(false);
        shutdownController.abort(new Error('server shutting down'));
        const force = setTimeout(() => {
          log.warn({ graceMs }, 'grace period over: forcing shutdown');
          server.forceShutdown();
          resolve();
        }, graceMs);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      })),
  };
}

/** SIGTERM and SIGINT start a graceful shutdown; a second signal forces exit. */
export function shutdownOnSignals(
  server: RunningServer,
  log: Logger,
  onStopped: () => void = () => process.exit(0),
): void {
  let signalled = false;
  const handler = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    log.info({ signal }, 'shutting down');
    void server.shutdown().then(onStopped);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
