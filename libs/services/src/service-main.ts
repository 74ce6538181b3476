import { Command, InvalidArgumentError as UsageError } from 'commander';
import { createLogger, onParentGone, shutdownOnSignals } from '@lth/grpc-kit';
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

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError('must be a whole number');
  return n;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The flags of one service's process (one parser for the four service apps). */
function serviceProgram(kind: ServiceKind): Command {
  const program = new Command(`lth-${kind}`)
    .description(`the lth ${kind} service (gRPC, with grpc.health.v1)`)
    .option('--listen <host:port>', 'address to bind (port 0 picks one; the bound address is printed)', '127.0.0.1:0')
    .option('--store <dir>', 'artifact store (default: $LTH_STORE or .lth/store)')
    .option('--metrics <host:port>', 'serve Prometheus metrics on GET /metrics at this address')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  if (kind === 'finetune' || kind === 'evaluation') {
    program
      .requiredOption('--data <address>', 'the data service')
      .option('--backend <name>', 'auto | tensorflow-gpu | tensorflow | wasm | cpu (default: $LTH_BACKEND or auto)')
      .option(
        '--expect-gpu',
        'this process was given a GPU: computing on the CPU is an error (default: $LTH_EXPECT_GPU)',
      );
  }
  if (kind === 'finetune') {
    program
      .option('--max-concurrent <n>', 'trainings at once', count, 1)
      .option('--max-queued <n>', 'trainings waiting for a slot before RESOURCE_EXHAUSTED', count, 16);
  }
  if (kind === 'data') {
    program
      .option('--cache <dir>', 'converted datasets (default: $LTH_CACHE or .lth/cache)')
      .option('--preload <names>', 'datasets to load before serving (default: all)')
      .option('--idx <name=dir>', 'add a dataset from IDX files (repeatable)', collect)
      .option(
        '--datasets <file>',
        'add the datasets in files listed under `datasets:` in this YAML file (default: $LTH_DATASETS)',
      );
  }
  return program;
}

/** Runs one service as a process: serve, print the address line, stop gracefully on SIGTERM. */
async function runService(kind: ServiceKind, options: ServeOptions): Promise<void> {
  const log = options.log ?? createLogger(`lth-${kind}`);
  let fatal = false;
  // Answer the call that failed first, then stop: the Deployment (or lth run) starts a new process.
  const onFatal = () => {
    if (fatal) return;
    fatal = true;
    setTimeout(() => void server.shutdown(2000).then(() => process.exit(1)), 100);
  };
  const { server, backend, metrics } = await serve(kind, { ...options, log, onFatal });
  const line: ListeningLine = {
    service: kind,
    address: server.address,
    metrics: metrics?.address,
    backend,
    pid: process.pid,
  };
  process.stdout.write(JSON.stringify(line) + '\n');
  shutdownOnSignals(server, log);
  onParentGone(() => {
    log.info('the process that started this one is gone: shutting down');
    void server.shutdown(2000).then(() => process.exit(0));
  });
}

/** Entry point of the service apps: parses the flags and serves until SIGTERM. */
export function serviceMain(kind: ServiceKind, argv = process.argv): void {
  const flags = serviceProgram(kind).parse(argv).opts();
  const options: ServeOptions = {
    listen: flags['listen'],
    store: flags['store'],
    dataAddress: flags['data'],
    cacheDir: flags['cache'],
    preload: (flags['preload'] as string | undefined)?.split(',').filter(Boolean),
    idx: flags['idx'],
    datasets: flags['datasets'],
    backend: flags['backend'],
    expectGpu: flags['expectGpu'] ?? ['1', 'true'].includes(process.env['LTH_EXPECT_GPU'] ?? ''),
    maxConcurrent: flags['maxConcurrent'],
    maxQueued: flags['maxQueued'],
    metricsListen: flags['metrics'],
  };
  runService(kind, options).catch((e: Error) => {
    process.stderr.write(`lth-${kind}: ${e.message}\n`);
    process.exit((e as { kind?: string }).kind === 'invalid-argument' ? 2 : 1);
  });
}
