import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CACHE_DIR, CLI, filesUnder, processesMentioning, tempDir, TINY_CAMPAIGN } from '../integration/harness';

/** The tiny campaign with a third round: long enough to be hit at a random point, short enough to repeat. */
export const FAULT_CAMPAIGN = TINY_CAMPAIGN.replace('imp: { rounds: 2 }', 'imp: { rounds: 3 }');

/** One `lth run` working area: the campaign file, its store and its output directory. */
export interface RunDir {
  root: string;
  campaign: string;
  store: string;
  out: string;
}

export async function runDir(name: string, from?: RunDir): Promise<RunDir> {
  const root = await tempDir(`fault-${name}`);
  const dir = { root, campaign: join(root, 'campaign.yaml'), store: join(root, 'store'), out: join(root, 'out') };
  await writeFile(dir.campaign, FAULT_CAMPAIGN);
  if (from) await cp(from.store, dir.store, { recursive: true });
  return dir;
}

export interface RunningLth {
  child: ChildProcess;
  /** Resolves when the services serve and the campaign starts. */
  started: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

export function startLthRun(dir: RunDir): RunningLth {
  const args = [CLI, 'run', dir.campaign, '--store', dir.store, '--out', dir.out];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, LTH_CACHE: CACHE_DIR },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let onStarted: () => void;
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  const collect = (d: Buffer) => {
    output += d.toString();
    if (/^campaign \S+: /m.test(output)) onStarted();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, started: Promise.race([started, exited.then(() => {})]), exited, output: () => output };
}

export async function runToEnd(dir: RunDir): Promise<string> {
  const run = startLthRun(dir);
  const { code } = await run.exited;
  assert.equal(code, 0, run.output());
  return run.output();
}

/** `pid args` lines of this run's processes (everything started with its store) whose program is `main`. */
export function processesOf(dir: RunDir, main = ''): { pid: number; args: string }[] {
  return processesMentioning(dir.store)
    .filter((l) => l.includes(main))
    .map((l) => {
      const [pid, ...args] = l.trim().split(/\s+/);
      return { pid: Number(pid), args: args.join(' ') };
    });
}

/** Children of a killed `lth run` see its pipe close and exit; this waits for that, within a bound. */
export async function noProcessesLeft(dir: RunDir, withinMs = 20_000): Promise<void> {
  const until = Date.now() + withinMs;
  while (processesOf(dir).length > 0 && Date.now() < until) await sleep(200);
  assert.deepEqual(
    processesOf(dir).map((p) => p.args.slice(0, 160)),
    [],
    'processes outlived lth run',
  );
}

export async function noTempFiles(dir: RunDir): Promise<void> {
  const left = [...(await filesUnder(dir.store)), ...(await filesUnder(dir.out))].filter((f) => f.includes('.tmp-'));
  assert.deepEqual(left, [], 'temporary files left behind');
}

/** Each finished task's ref, by inode and modification time: a recomputed task writes a new file. */
export async function refFiles(dir: RunDir): Promise<Map<string, string>> {
  const files = (await filesUnder(join(dir.store, 'refs'))).filter((f) => !f.includes('.tmp-'));
  const out = new Map<string, string>();
  for (const f of files) {
    const s = await stat(f);
    out.set(f.slice(dir.store.length), `${s.ino}:${s.mtimeMs}`);
  }
  return out;
}

/** results.json without what differs between two runs of the same work (timings). */
export async function comparableResults(dir: RunDir): Promise<unknown> {
  const results = JSON.parse(await readFile(join(dir.out, 'results.json'), 'utf8')) as {
    experiments: { rounds: { trainSeconds?: number }[] }[];
  };
  return results.experiments.map((e) => ({
    ...e,
    rounds: e.rounds.map((r) => ({ ...r, trainSeconds: undefined })),
  }));
}
