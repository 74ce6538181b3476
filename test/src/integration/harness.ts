import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CampaignSpec } from '@lth/core';
import {
  ChildProcessExecutor,
  runCampaign,
  startLocalServices,
  type CampaignEvent,
  type LocalServices,
  type Program,
  type Programs,
} from '@lth/local';
import { ArtifactStore } from '@lth/store';

/** The built apps, run as processes as in production. */
export const CLI = resolve(__dirname, '../../../apps/cli/dist/main.js');
const app = (name: string): Program => ({ command: process.execPath, args: [require.resolve(name)] });
export const PROGRAMS: Programs & { controller: Program } = {
  data: app('@lth/data-app'),
  pruning: app('@lth/pruning-app'),
  finetune: app('@lth/finetune-app'),
  evaluation: app('@lth/evaluation-app'),
  driver: app('@lth/driver-app'),
  controller: app('@lth/controller-app'),
};
/** Runs a program's main with these arguments. */
export const argv = (program: Program, args: string[]) => [...program.args, ...args];

/** `lth run CAMPAIGN --out OUT --store STORE --quiet` with the shared dataset cache, to its end. */
export function lthRun(campaign: string, out: string, store: string) {
  return spawnSync(process.execPath, [CLI, 'run', campaign, '--out', out, '--store', store, '--quiet'], {
    encoding: 'utf8',
    env: { ...process.env, LTH_CACHE: CACHE_DIR },
  });
}

/** Directories tempDir made in this test process: removed when it exits. */
const madeDirs: string[] = [];
process.once('exit', () => {
  if (process.env['LTH_KEEP_TEST_DIRS']) return;
  for (const dir of madeDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // A directory a child still writes to is left behind: cleaning up never fails a test.
    }
  }
});

/**
 * A fresh directory for one test process's stores and files, removed when the process exits (a
 * suite leaves hundreds of megabytes otherwise); LTH_KEEP_TEST_DIRS=1 keeps them to look at.
 */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `lth-${prefix}-`));
  madeDirs.push(dir);
  return dir;
}

/** What tests leave for people to look at (screenshots): test/output, not removed after the run. */
export const TEST_OUTPUT = resolve(__dirname, '../../output');

/** Shared between tests so datasets are converted once. */
export const CACHE_DIR = join(tmpdir(), 'lth-test-cache');

export async function startServices(storeRoot: string, finetuneReplicas = 1): Promise<LocalServices> {
  return startLocalServices({
    programs: PROGRAMS,
    storeRoot,
    finetuneReplicas,
    env: { LTH_CACHE: CACHE_DIR },
    dataFlags: ['--preload', 'mnist'],
  });
}

/** A campaign through the local executor: one driver process per task, on these services and store. */
export function runLocally(
  spec: CampaignSpec,
  on: { services: LocalServices; storeRoot: string; parallelism?: number },
  onEvent?: (event: CampaignEvent) => void,
) {
  return runCampaign(spec, {
    executor: new ChildProcessExecutor(PROGRAMS.driver, on.storeRoot),
    store: new ArtifactStore(on.storeRoot),
    replicas: on.services.replicas,
    parallelism: on.parallelism ?? on.services.replicas.length,
    ...(onEvent ? { onEvent } : {}),
  });
}

export async function filesUnder(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true, withFileTypes: true }))
      .filter((d) => d.isFile())
      .map((d) => join(d.parentPath, d.name))
      .sort();
  } catch {
    return [];
  }
}

/** A campaign small enough for a test: LeNet on slices of MNIST, two pruning rounds. */
export const TINY_CAMPAIGN = `
name: tiny
models: [lenet-300-100]
pretrainings:
  - name: mnist-slice
    kind: supervised
    dataset: mnist
    training: { epochs: 1, maxSteps: 20, batchSize: 64, maxExamples: 1280 }
tasks: [mnist]
seeds: [0, 1]
imp: { rounds: 2 }
finetune: { epochs: 1, batchSize: 64, maxExamples: 640 }
evaluation: { maxExamples: 500 }
parallelism: 2
`;

/** A port nobody listens on right now (for servers that cannot bind port 0 and report it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

/** Processes whose command line mentions `text` (this machine's ps), as `pid args` lines. */
export function processesMentioning(text: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((l) => l.includes(text));
}
