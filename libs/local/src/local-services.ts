import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ServiceAddresses } from '@lth/core';
import { waitUntilServing } from '@lth/grpc-kit';
import { spawnProgram, type Programs } from './program';

type ServiceName = keyof ServiceAddresses;

export interface LocalServicesOptions {
  /** How to start each service: its program, given `--listen`, `--store` and its own flags. */
  programs: Pick<Programs, ServiceName>;
  storeRoot: string;
  /** Fine-tuning processes: TF.js computes on one thread per process, so parallel training needs replicas. */
  finetuneReplicas: number;
  env?: NodeJS.ProcessEnv;
  /** Called with each service's stderr line (structured logs). */
  onLog?: (service: string, line: string) => void;
  /** A service that exited on its own is started again on its address after delayMs. */
  onRestart?: (restart: ServiceRestart) => void;
  startTimeoutMs?: number;
  /** Extra flags for the data service (e.g. --preload mnist). */
  dataFlags?: string[];
  /** Each service also serves GET /metrics on an ephemeral port. */
  metrics?: boolean;
}

export interface ServiceRestart {
  service: string;
  /** `code 1` or `signal SIGKILL`. */
  exit: string;
  address: string;
  delayMs: number;
  /** Exits in a row without a minute of serving between them. */
  crashes: number;
}

export interface LocalServices {
  /** One address set per fine-tuning replica (data, pruning and evaluation are shared). */
  replicas: ServiceAddresses[];
  backend: string;
  /** The processes serving now (a restarted service has a new pid, the same address). */
  readonly processes: { name: string; pid: number; address: string; metrics?: string }[];
  stop(): Promise<void>;
}

interface Started {
  child: ChildProcess;
  address: string;
  backend: string;
  metrics?: string;
}

/** Like the kubelet's CrashLoopBackOff, on a local scale: 1 s, doubling to 30 s, reset by a minute of serving. */
const RESTART_DELAY_MS = { initial: 1_000, max: 30_000, resetAfter: 60_000 };

function startProcess(kind: ServiceName, listen: Listen, flags: string[], options: LocalServicesOptions) {
  const metricsFlags = options.metrics ? ['--metrics', listen.metrics ?? '127.0.0.1:0'] : [];
  const args = ['--listen', listen.address ?? '127.0.0.1:0', '--store', options.storeRoot, ...metricsFlags, ...flags];
  return spawnProgram(options.programs[kind], args, options.env ?? {});
}

interface Listen {
  address?: string;
  metrics?: string;
}

/** Resolves with the address line a service prints once it listens; rejects if it exits first. */
function whenListening(name: string, child: ChildProcess, options: LocalServicesOptions): Promise<Started> {
  return new Promise((resolve, reject) => {
    const tail: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 10) tail.shift();
      options.onLog?.(name, line);
    });
    let settled = false;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (settled) return;
      try {
        const { address, backend, metrics } = JSON.parse(line) as Omit<Started, 'child'>;
        settled = true;
        resolve({ child, address, backend, metrics });
      } catch {
        // not the address line
      }
    });
    child.on('exit', (code) => {
      if (!settled) {
        settled = true;
        reject(new Error(`${name} service exited with code ${code} before serving: ${tail.join('\n')}`));
      }
    });
  });
}

/**
 * One service process, kept running as a Deployment keeps its pod: when it exits on its own (a
 * lost backend exits 1, an operator's SIGKILL) it is started again on the same address, so the
 * drivers' calls find it again (they repeat UNAVAILABLE calls for a while).
 */
class SupervisedService {
  /** The process that last served; its address is the service's for good. */
  current: Started | undefined;
  /** The process started last (serving, or still starting). */
  private child: ChildProcess | undefined;
  private stopping = false;
  private crashes = 0;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    private readonly kind: ServiceName,
    private readonly flags: string[],
    private readonly options: LocalServicesOptions,
  ) {}

  async start(): Promise<Started> {
    this.child = startProcess(this.kind, {}, this.flags, this.options);
    this.watch(await whenListening(this.name, this.child, this.options));
    return this.current!;
  }

  private watch(started: Started): void {
    this.current = started;
    const since = Date.now();
    started.child.once('exit', (code, signal) => {
      if (Date.now() - since >= RESTART_DELAY_MS.resetAfter) this.crashes = 0;
      this.exited(signal ? `signal ${signal}` : `code ${code}`);
    });
  }

  private exited(exit: string): void {
    if (this.stopping) return;
    this.crashes++;
    const delayMs = Math.min(RESTART_DELAY_MS.max, RESTART_DELAY_MS.initial * 2 ** (this.crashes - 1));
    const { address, metrics } = this.current!;
    this.options.onRestart?.({ service: this.name, exit, address, delayMs, crashes: this.crashes });
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.child = startProcess(this.kind, { address, metrics }, this.flags, this.options);
      // Exited before serving (its port taken, a bad start): the same backoff, once more doubled.
      whenListening(this.name, this.child, this.options).then(
        (started) => this.watch(started),
        (err: Error) => this.exited(err.message.split('\n')[0]!),
      );
    }, delayMs);
  }

  stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    return new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}

/**
 * Starts the four services as separate processes on 127.0.0.1 ephemeral ports, as a cluster
 * runs them as pods, waits until each one's health check says SERVING, and restarts any that
 * exits before stop().
 */
export async function startLocalServices(options: LocalServicesOptions): Promise<LocalServices> {
  const started: SupervisedService[] = [];
  const stop = async () => {
    await Promise.all(started.map((s) => s.stop()));
  };
  const supervise = (name: string, kind: ServiceName, flags: string[]) => {
    const service = new SupervisedService(name, kind, flags, options);
    started.push(service);
    return service.start();
  };
  try {
    const data = await supervise('data', 'data', options.dataFlags ?? []);
    const dataFlag = ['--data', data.address];
    const others = await Promise.all([
      supervise('pruning', 'pruning', []),
      supervise('evaluation', 'evaluation', dataFlag),
      ...Array.from({ length: options.finetuneReplicas }, (_, i) => supervise(`finetune-${i}`, 'finetune', dataFlag)),
    ]);
    const timeout = options.startTimeoutMs ?? 120_000;
    await Promise.all([data, ...others].map((s) => waitUntilServing(s.address, timeout)));
    const [pruning, evaluation, ...finetunes] = others as [Started, Started, ...Started[]];
    return {
      replicas: finetunes.map((f) => ({
        data: data.address,
        pruning: pruning.address,
        evaluation: evaluation.address,
        finetune: f.address,
      })),
      backend: finetunes[0]?.backend ?? evaluation.backend,
      get processes() {
        return started.map(({ name, current }) => ({
          name,
          pid: current!.child.pid!,
          address: current!.address,
          metrics: current!.metrics,
        }));
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
