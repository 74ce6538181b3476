import { createServer, type Server } from 'nice-grpc';
import { HealthDefinition, HealthServiceImpl, HealthState } from 'nice-grpc-server-health';
import type { Logger } from 'pino';
import type { TsProtoServiceDefinition } from 'nice-grpc';
import { callMiddleware, type CallOptions } from './call-middleware';
import { withCheckedDecoding } from './request-decoding';
import { withPreEncodedResponses } from './pre-encoded';

/** The largest message a call may carry: a batch of images from the data service. */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/**
 * HTTP/2 flow-control window of every connection and stream. The default, 64 KiB, makes a batch
 * stream wait for a window update every 64 KiB: a round trip per 80 MNIST images.
 */
export const FLOW_CONTROL_WINDOW_BYTES = 16 * 1024 * 1024;

/**
 * The largest request any lth service accepts. Requests name datasets, models and artifacts (by
 * digest) and carry no tensors, so a few kilobytes is plenty; anything bigger is refused by gRPC
 * itself (RESOURCE_EXHAUSTED) before it is decoded or can reach a message.
 */
export const MAX_REQUEST_BYTES = 64 * 1024;

/** A service to serve: its full name (for health) and how it adds itself to a server. */
export interface ServiceBinding {
  name: string;
  register(server: Pick<Server, 'add'>): void;
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
 * Binds a nice-grpc server with the standard grpc.health.v1 service, which says NOT_SERVING
 * until setServing(true) (when the backend and data are ready). Every call of the services
 * goes through callMiddleware (status mapping, metrics, shutdown).
 */
export async function startServer(
  address: string,
  services: ServiceBinding[],
  options: Omit<CallOptions, 'shutdown'>,
): Promise<RunningServer> {
  const { log } = options;
  const shutdownController = new AbortController();
  const server = createServer({
    'grpc.max_receive_message_length': MAX_REQUEST_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES,
  });
  const health = HealthState();
  const names = ['', ...services.map((s) => s.name)];
  const setServing = (serving: boolean) => {
    for (const n of names) health.setStatus(serving ? 'healthy' : 'unhealthy', n);
  };
  setServing(false);
  server.add(HealthDefinition, HealthServiceImpl(health));
  const calls = callMiddleware({ ...options, shutdown: shutdownController.signal });
  const checked = server.with(calls);
  const checkedServer: Pick<Server, 'add'> = {
    add: (definition, implementation) =>
      checked.add(
        withPreEncodedResponses(withCheckedDecoding(definition as TsProtoServiceDefinition)) as typeof definition,
        implementation,
      ),
  };
  for (const s of services) s.register(checkedServer);
  const port = await server.listen(address);
  const host = address.slice(0, address.lastIndexOf(':'));
  let stopping: Promise<void> | undefined;
  return {
    address: `${host}:${port}`,
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
        void server.shutdown().then(() => {
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
