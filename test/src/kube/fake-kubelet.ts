import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, renameSync, statSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { FakeApiServer } from './fake-apiserver';

type Job = {
  metadata: { name: string; namespace: string; labels?: Record<string, string>; uid: string };
  spec: {
    backoffLimit?: number;
    podFailurePolicy?: { rules: { action: string; onExitCodes?: { values: number[] } }[] };
    template: {
      spec: {
        containers: {
          name: string;
          command?: string[];
          args: string[];
          env?: { name: string; value: string }[];
          terminationMessagePath?: string;
          terminationMessagePolicy?: string;
        }[];
      };
    };
  };
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    startTime?: string;
    completionTime?: string;
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
};

export interface FakeKubeletOptions {
  failPod?: (job: Job) => boolean;
  holdPod?: (job: Job) => boolean;
  env?: NodeJS.ProcessEnv;
  /**
   * A network filesystem's attribute cache: the refs a pod wrote to the store under `root` stay
   * invisible to everyone else for `delayMs` after the pod ends (NFS and EFS show another
   * client's new files only after their cache expires, tens of seconds by default).
   */
  storeVisibility?: { root: string; delayMs: number };
}

export interface FakeKubelet {
  /** Pod starts, by Job name, in order. */
  started: string[];
  stop(): Promise<void>;
}

/**
 * Runs each Job's container as a local process: its `command` names a program of the image (this
 * machine's build of lth, by the names the image puts on PATH), with the Job controller's rules:
 * restartPolicy Never, a new pod per failure up to backoffLimit, and podFailurePolicy's FailJob
 * on exit codes. A command the image does not have fails the container with exit code 127, as a
 * shell would. Reports pod and Job status to the fake API server.
 */
export function startFakeKubelet(
  api: FakeApiServer,
  image: Record<string, { command: string; args: string[] }>,
  options: FakeKubeletOptions = {},
): FakeKubelet {
  const running = new Map<string, ChildProcess>();
  const scratch = mkdtempSync(join(tmpdir(), 'lth-kubelet-'));
  const started: string[] = [];
  let stopped = false;

  const setJobStatus = (job: Job, status: Job['status']) => {
    const current = api.get('jobs', job.metadata.namespace, job.metadata.name) as unknown as Job | undefined;
    if (!current) return;
    api.update('jobs', job.metadata.namespace, {
      ...(current as object),
      status,
      metadata: { ...current.metadata, resourceVersion: undefined },
    } as never);
  };

  const startPod = (job: Job) => {
    const attempt = (job.status?.failed ?? 0) + 1;
    const podName = `${job.metadata.name}-${attempt}`;
    const container = job.spec.template.spec.containers[0]!;
    api.create('pods', job.metadata.namespace, {
      metadata: {
        name: podName,
        labels: { ...job.metadata.labels, 'job-name': job.metadata.name },
        ownerReferences: [{ uid: job.metadata.uid }],
      },
      status: { phase: 'Running' },
    } as never);
    started.push(job.metadata.name);
    const fail = options.failPod?.(job);
    const env = {
      ...process.env,
      ...options.env,
      ...Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value])),
    };
    const program = image[container.command?.[0] ?? ''];
    // The kubelet mounts a file of the pod's own at terminationMessagePath; processes here share
    // one filesystem, so the path in the container's arguments becomes a file per pod.
    const messagePath = container.terminationMessagePath ?? '/dev/termination-log';
    const messageFile = join(scratch, `${podName}.termination-log`);
    writeFileSync(messageFile, '');
    const args = container.args.map((a) => (a === messagePath ? messageFile : a));
    const podStarted = Date.now();
    // A held pod runs until its Job is deleted (or the kubelet stops).
    const hold = options.holdPod?.(job);
    const child = hold
      ? spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1e9)'])
      : fail || !program
        ? spawn(process.execPath, ['-e', `process.exit(${program ? 1 : 127})`])
        : spawn(program.command, [...program.args, ...(container.command?.slice(1) ?? []), ...args], {
            env,
            stdio: ['ignore', 'ignore', 'pipe'],
          });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4096)));
    running.set(job.metadata.name, child);
    setJobStatus(job, { ...job.status, active: 1, startTime: job.status?.startTime ?? new Date().toISOString() });
    child.on('exit', (code) => {
      running.delete(job.metadata.name);
      if (stopped) return;
      if (code === 0 && options.storeVisibility) hideNewRefs(options.storeVisibility, podStarted);
      const pod = api.get('pods', job.metadata.namespace, podName);
      if (pod)
        api.update('pods', job.metadata.namespace, {
          ...pod,
          status: {
            phase: code === 0 ? 'Succeeded' : 'Failed',
            containerStatuses: [
              {
                name: container.name,
                state: {
                  terminated: { exitCode: code, message: terminationMessage(container, messageFile, code, stderr) },
                },
              },
            ],
          },
          metadata: { ...pod.metadata, resourceVersion: undefined },
        } as never);
      const now = (api.get('jobs', job.metadata.namespace, job.metadata.name) as unknown as Job | undefined) ?? job;
      if (code === 0)
        return setJobStatus(now, {
          ...now.status,
          active: 0,
          succeeded: 1,
          failed: now.status?.failed ?? 0,
          completionTime: new Date().toISOString(),
          conditions: [{ type: 'Complete', status: 'True', reason: 'Completed', message: '' }],
        });
      const failed = (now.status?.failed ?? 0) + 1;
      const failJob = job.spec.podFailurePolicy?.rules.some(
        (r) => r.action === 'FailJob' && r.onExitCodes?.values.includes(code ?? -1),
      );
      const lastLine = stderr.trim().split('\n').pop() ?? '';
      const failWith = (reason: string, message: string) =>
        setJobStatus(now, { active: 0, failed, conditions: [{ type: 'Failed', status: 'True', reason, message }] });
      if (failJob)
        return failWith('PodFailurePolicy', `container ${container.name} exited with code ${code}: ${lastLine}`);
      if (failed > (job.spec.backoffLimit ?? 6)) {
        return failWith('BackoffLimitExceeded', 'Job has reached the specified backoff limit');
      }
      setJobStatus(now, { active: 0, failed });
    });
  };

  const hidden = join(scratch, 'not-visible-yet');
  const hideNewRefs = ({ root, delayMs }: { root: string; delayMs: number }, since: number) => {
    const refs = join(root, 'refs');
    const written = (readdirSync(refs, { recursive: true }) as string[])
      .map((f) => join(refs, f))
      .filter((f) => statSync(f).isFile() && statSync(f).mtimeMs >= since - 5);
    for (const file of written) {
      const away = join(hidden, relative(root, file));
      mkdirSync(dirname(away), { recursive: true });
      renameSync(file, away);
      setTimeout(() => renameSync(away, file), delayMs);
    }
  };

  const tick = setInterval(() => {
    // A deleted Job's pod is killed (the Job controller deletes its pods).
    const names = new Set((api.list('jobs') as unknown as Job[]).map((j) => j.metadata.name));
    for (const [name, child] of running) if (!names.has(name)) child.kill('SIGKILL');
    for (const job of api.list('jobs') as unknown as Job[]) {
      const done = job.status?.conditions?.some(
        (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
      );
      if (done || running.has(job.metadata.name) || job.status?.active) continue;
      startPod(job);
    }
  }, 50);

  return {
    started,
    stop: async () => {
      stopped = true;
      clearInterval(tick);
      await Promise.all(
        [...running.values()].map(
          (c) => new Promise((r) => (c.exitCode !== null ? r(null) : (c.once('exit', r), c.kill('SIGTERM')))),
        ),
      );
    },
  };
}

/**
 * What the kubelet reports as a terminated container's message: the file at terminationMessagePath
 * (at most 4096 bytes); with FallbackToLogsOnError, when that is empty and the container failed,
 * the tail of its log (at most 2048 bytes or 80 lines). https://kubernetes.io/docs/tasks/debug/debug-application/determine-reason-pod-failure/
 */
function terminationMessage(
  container: { terminationMessagePolicy?: string },
  file: string,
  code: number | null,
  log: string,
): string {
  const written = readFileSync(file).subarray(0, 4096).toString();
  if (written || code === 0 || container.terminationMessagePolicy !== 'FallbackToLogsOnError') return written;
  return log.split('\n').slice(-80).join('\n').slice(-2048);
}
