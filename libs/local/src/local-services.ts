import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ServiceAddresses } from '@lth/core';
import { waitUntilServing } from '@lth/grpc-kit';
import { spawnProgram, type Program, type Programs } from './program';

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
  startTimeoutMs?: number;
  /** Extra flags for the data service (e.g. --preload mnist). */
  dataFlags?: string[];
  /** Each service also serves GET /metrics on an ephemeral port. */
  metrics?: boolean;
}

export interface LocalServices {
  /** One address set per fine-tuning replica (data, pruning and evaluation are shared). */
  replicas: ServiceAddresses[];
  backend: string;
  processes: { name: string; pid: number; address: string; metrics?: string }[];
  stop(): Promise<void>;
}

interface Started {
  name: string;
  child: ChildProcess;
  address: string;
  backend: string;
  metrics?: string;
}

function startOne(name: string, kind: ServiceName, flags: string[], options: LocalServicesOptions): Promise<Started> {
  return new Promise((resolve, reject) => {
    const metricsFlags = options.metrics ? ['--metrics', '127.0.0.1:0'] : [];
    const program: Program = options.programs[kind];
    const args = ['--listen', '127.0.0.1:0', '--store', options.storeRoot, ...metricsFlags, ...flags];
    const child = spawnProgram(program, args, options.env ?? {});
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
        const { address, backend, metrics } = JSON.parse(line) as {
          address: string;
          backend: string;
          metrics?: string;
        };
        settled = true;
        resolve({ name, child, address, backend, metrics });
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
 * Starts the four services as separate processes on 127.0.0.1 ephemeral ports, as a cluster
 * runs them as pods, and waits until each one's health check says SERVING.
 */
export async function startLocalServices(options: LocalServicesOptions): Promise<LocalServices> {
  const started: Started[] = [];
  const stop = async () => {
    await Promise.all(
      started.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
            const force = setTimeout(() => s.child.kill('SIGKILL'), 15_000);
            s.child.once('exit', () => {
              clearTimeout(force);
              resolve();
            });
            s.child.kill('SIGTERM');
          }),
      ),
    );
  };
  try {
    const data = await startOne('data', 'data', options.dataFlags ?? [], options);
    started.push(data);
    const others = await Promise.all([
      startOne('pruning', 'pruning', [], options),
      startOne('evaluation', 'evaluation', ['--data', data.address], options),
      ...Array.from({ length: options.finetuneReplicas }, (_, i) =>
        startOne(`finetune-${i}`, 'finetune', ['--data', data.address], options),
      ),
    ]);
    started.push(...others);
    const timeout = options.startTimeoutMs ?? 120_000;
    await Promise.all(started.map((s) => waitUntilServing(s.address, timeout)));
    const [pruning, evaluation, ...finetunes] = others as [Started, Started, ...Started[]];
    return {
      replicas: finetunes.map((f) => ({
        data: data.address,
        pruning: pruning.address,
        evaluation: evaluation.address,
        finetune: f.address,
      })),
      backend: finetunes[0]?.backend ?? evaluation.backend,
      processes: started.map((s) => ({ name: s.name, pid: s.child.pid!, address: s.address, metrics: s.metrics })),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
