import { expandCampaign, pretrainingsOf, summarizeExperiment, type CampaignResults, type CampaignSpec, type Experiment, type ExperimentResult, type PretrainingPlan } from '@lth/core';
import type { ArtifactStore } from '@lth/store';
import type { CampaignEvent } from './campaign-events';
import type { DriverEvent } from './driver-events';
import { PermanentTaskError, type Executor } from './executor';
import { finishedRounds } from './finished-rounds';
import { refs, type PretrainRecord, type RoundRecord } from './records';
import type { ServiceAddresses } from './service-clients';

export interface CampaignRunOptions {
  executor: Executor;
  store: ArtifactStore;
  /** Service addresses per fine-tuning replica; worker i uses replica i mod n. */
  replicas: ServiceAddresses[];
  /** Tasks at once (experiments in parallel). */
  parallelism: number;
  /** Attempts per round before its experiment is marked failed. */
  maxAttempts?: number;
  onEvent?: (event: CampaignEvent) => void;
  signal?: AbortSignal;
}

export interface CampaignOutcome {
  results: CampaignResults;
  failed: { experiment: Experiment; error: string }[];
}

type Job = { kind: 'pretrain'; plan: PretrainingPlan } | { kind: 'experiment'; experiment: Experiment };

/**
 * Runs a campaign: pre-trainings first, then every experiment's rounds in order, up to
 * `parallelism` tasks at once. Finished work is found in the store and skipped, so rerunning
 * a campaign resumes it and gives the same results.
 */
export async function runCampaign(spec: CampaignSpec, options: CampaignRunOptions): Promise<CampaignOutcome> {
  const { store, executor } = options;
  const emit = options.onEvent ?? (() => undefined);
  const maxAttempts = options.maxAttempts ?? 2;
  const experiments = expandCampaign(spec);
  const plans = pretrainingsOf(experiments);
  const planDigests = new Map<string, string>();
  for (const p of plans) planDigests.set(p.id, await store.putJson(p));

  const planDone = new Map<string, { promise: Promise<PretrainRecord>; resolve: (r: PretrainRecord) => void; reject: (e: Error) => void }>();
  for (const p of plans) {
    let resolve!: (r: PretrainRecord) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<PretrainRecord>((res, rej) => ((resolve = res), (reject = rej)));
    promise.catch(() => undefined);
    planDone.set(p.id, { promise, resolve, reject });
  }
  const failed: CampaignOutcome['failed'] = [];

  const runTask = async (replica: ServiceAddresses, task: Parameters<Executor['run']>[0], forward: (e: DriverEvent) => void) => {
    await executor.run(task, replica, forward, options.signal);
  };

  const pretrain = async (plan: PretrainingPlan, replica: ServiceAddresses) => {
    const gate = planDone.get(plan.id)!;
    const existing = await store.getRef(refs.pretraining(plan.id));
    if (existing) {
      const record = await store.getJson<PretrainRecord>(existing);
      emit({ type: 'pretrain-finished', plan, record, skipped: true });
      return gate.resolve(record);
    }
    emit({ type: 'pretrain-started', plan });
    for (let attempt = 1; ; attempt++) {
      try {
        await runTask(replica, { kind: 'pretrain', planDigest: planDigests.get(plan.id)! }, (e) => {
          if (e.type === 'progress') emit({ ...e, plan });
          if (e.type === 'phase') emit({ type: 'phase', plan, phase: e.phase });
        });
        const record = await store.getJson<PretrainRecord>((await store.getRef(refs.pretraining(plan.id)))!);
        emit({ type: 'pretrain-finished', plan, record, skipped: false });
        return gate.resolve(record);
      } catch (e) {
        if (attempt >= maxAttempts || e instanceof PermanentTaskError || options.signal?.aborted) {
          return gate.reject(new Error(`pre-training ${plan.name} failed: ${(e as Error).message}`));
        }
      }
    }
  };

  const runExperiment = async (experiment: Experiment, replica: ServiceAddresses) => {
    try {
      await planDone.get(experiment.settings.pretraining.id)!.promise;
    } catch (e) {
      failed.push({ experiment, error: (e as Error).message });
      emit({ type: 'experiment-failed', experiment, error: (e as Error).message });
      return;
    }
    const experimentDigest = await store.putJson(experiment);
    for (let round = 0; round <= experiment.settings.rounds; round++) {
      const existing = await store.getRef(refs.round(experiment.id, round));
      if (existing) {
        emit({ type: 'round-finished', experiment, record: await store.getJson<RoundRecord>(existing), skipped: true });
        continue;
      }
      for (let attempt = 1; ; attempt++) {
        emit({ type: 'round-started', experiment, round, attempt });
        try {
          let finished: RoundRecord | undefined;
          await runTask(replica, { kind: 'round', experimentDigest, round }, (e) => {
            if (e.type === 'progress') emit({ ...e, experiment, round });
            if (e.type === 'phase') emit({ type: 'phase', experiment, round, phase: e.phase });
            if (e.type === 'round-done') finished = e.record;
          });
          const record = finished ?? (await store.getJson<RoundRecord>((await store.getRef(refs.round(experiment.id, round)))!));
          emit({ type: 'round-finished', experiment, record, skipped: false });
          break;
        } catch (e) {
          const error = (e as Error).message;
          const willRetry = attempt < maxAttempts && !(e instanceof PermanentTaskError) && !options.signal?.aborted;
          emit({ type: 'round-failed', experiment, round, attempt, error, willRetry });
          if (!willRetry) {
            failed.push({ experiment, error: `round ${round}: ${error}` });
            emit({ type: 'experiment-failed', experiment, error: `round ${round}: ${error}` });
            return;
          }
        }
      }
    }
  };

  const queue: Job[] = [...plans.map((plan) => ({ kind: 'pretrain' as const, plan })), ...experiments.map((experiment) => ({ kind: 'experiment' as const, experiment }))];
  const workers = Math.max(1, Math.min(options.parallelism, queue.length));
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const replica = options.replicas[w % options.replicas.length]!;
      for (let job = queue.shift(); job; job = queue.shift()) {
        if (options.signal?.aborted) return;
        if (job.kind === 'pretrain') await pretrain(job.plan, replica);
        else await runExperiment(job.experiment, replica);
      }
    }),
  );
  return { results: await collectResults(spec.name, experiments, store), failed };
}

/** Reads every finished round of a campaign's experiments back from the store. */
export async function collectResults(campaign: string, experiments: readonly Experiment[], store: ArtifactStore): Promise<CampaignResults> {
  const out: ExperimentResult[] = [];
  let backend = 'unknown';
  for (const e of experiments) {
    const rounds = [];
    for (const rec of await finishedRounds(store, e)) {
      backend = rec.backend;
      rounds.push({
        round: rec.round,
        sparsity: rec.sparsity,
        density: rec.density,
        remainingWeights: rec.remainingWeights,
        testAccuracy: rec.testAccuracy,
        testLoss: rec.testLoss,
        trainSeconds: rec.trainSeconds,
        maskDigest: rec.maskDigest,
        weightsDigest: rec.weightsDigest,
      });
    }
    const s = e.settings;
    out.push(summarizeExperiment({ id: e.id, model: s.model, pretraining: s.pretraining.name, task: s.task, seed: s.seed, rewind: s.rewind, rounds }));
  }
  return { campaign, backend, experiments: out };
}
