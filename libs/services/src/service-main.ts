import { parseArgs } from 'node:util';
import { shutdownOnSignals, createLogger } from '@lth/grpc-kit';
import { serve, type ServeOptions, type ServiceKind } from './serve';

/** The line a service prints on stdout once it serves: launchers read the bound address from it. */
export interface ListeningLine {
  service: ServiceKind;
  address: string;
  /** host:port of GET /metrics, when enabled. */
  metrics?: string;
  backend: string;
  pid: number;
}

export const SERVICE_FLAGS = {
  listen: { type: 'string', default: '127.0.0.1:0' },
  data: { type: 'string' },
  store: { type: 'string' },
  cache: { type: 'string' },
  preload: { type: 'string' },
  idx: { type: 'string', multiple: true },
  backend: { type: 'string' },
  'max-concurrent': { type: 'string' },
  'max-queued': { type: 'string' },
  metrics: { type: 'string' },
} as const;

export function serveOptionsFromFlags(values: { [K in keyof typeof SERVICE_FLAGS]?: string | string[] | undefined }): ServeOptions {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[v.length - 1] : v);
  return {
    listen: one(values.listen) ?? '127.0.0.1:0',
    dataAddress: one(values.data),
    store: one(values.store),
    cacheDir: one(values.cache),
    preload: one(values.preload)?.split(',').filter(Boolean),
    idx: values.idx === undefined ? undefined : ([] as string[]).concat(values.idx),
    backend: one(values.backend),
    maxConcurrent: values['max-concurrent'] ? Number(one(values['max-concurrent'])) : undefined,
    maxQueued: values['max-queued'] ? Number(one(values['max-queued'])) : undefined,
    metricsListen: one(values.metrics),
  };
}

/** Runs one service as a process: serve, print the address line, stop gracefully on SIGTERM. */
export async function runService(kind: ServiceKind, options: ServeOptions): Promise<void> {
  const log = options.log ?? createLogger(`lth-${kind}`);
  const { server, backend, metrics } = await serve(kind, { ...options, log });
  const line: ListeningLine = { service: kind, address: server.address, metrics: metrics?.address, backend, pid: process.pid };
  process.stdout.write(JSON.stringify(line) + '\n');
  shutdownOnSignals(server, log);
}

/** Entry point of the per-service apps: `node main.js --listen HOST:PORT ...`. */
export function serviceMain(kind: ServiceKind, argv = process.argv.slice(2)): void {
  let values;
  try {
    values = parseArgs({ args: argv, options: SERVICE_FLAGS, allowPositionals: false }).values;
  } catch (e) {
    process.stderr.write(`lth-${kind}: ${(e as Error).message}\n`);
    process.exit(2);
  }
  runService(kind, serveOptionsFromFlags(values)).catch((e: Error) => {
    process.stderr.write(`lth-${kind}: ${e.message}\n`);
    process.exit((e as { kind?: string }).kind === 'invalid-argument' ? 2 : 1);
  });
}
