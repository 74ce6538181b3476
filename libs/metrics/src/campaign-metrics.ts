import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  denseAccuracyOf,
  meanOverReplicates,
  winningSparsity,
  type Experiment,
  type ExperimentState,
  type ScoredRound,
} from '@lth/core';
import { LONG_BUCKETS, RPC_BUCKETS } from './buckets';
import { processMetrics } from './process-metrics';

type Group = { campaign: string; pretraining: string; task: string };

const CAMPAIGN_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Invalid'] as const;

/**
 * Every metric of a campaign runner, in one place, for both executors (`lth run` and the
 * Kubernetes controller). Labels: campaign, pretraining, task, round (the ladder is short),
 * phase, state; never an experiment id or a seed: the replicates of a (campaign, pre-training,
 * task) are averaged round by round, and the science (dense accuracy, winning sparsity) comes
 * from the core's one definition.
 */
export class CampaignMetrics {
  readonly registry = new Registry();
  private readonly phases = new Map<string, string>();
  private readonly experiments = new Map<
    string,
    Group & { state: ExperimentState; rounds: Map<number, ScoredRound> }
  >();
  readonly roundsStarted: Counter;
  readonly roundsSucceeded: Counter;
  readonly roundsFailed: Counter;
  readonly roundsRetried: Counter;
  readonly roundDuration: Histogram;
  readonly reconciles: Counter;
  readonly reconcileErrors: Counter;
  readonly reconcileDuration: Histogram;
  readonly jobsCreated: Counter;

  constructor(sources: { queueDepth?: () => number; leader?: () => boolean } = {}) {
    const r = this.registry;
    r.setDefaultLabels({ service: 'controller' });
    processMetrics(r);
    const byCampaign = { labelNames: ['campaign'], registers: [r] };
    this.roundsStarted = new Counter({
      name: 'lth_rounds_started_total',
      help: 'Task attempts started (IMP rounds and pre-trainings).',
      ...byCampaign,
    });
    this.roundsSucceeded = new Counter({
      name: 'lth_rounds_succeeded_total',
      help: 'IMP rounds finished.',
      ...byCampaign,
    });
    this.roundsFailed = new Counter({
      name: 'lth_rounds_failed_total',
      help: 'Task attempts that failed.',
      ...byCampaign,
    });
    this.roundsRetried = new Counter({
      name: 'lth_rounds_retried_total',
      help: 'Failed task attempts that get another attempt.',
      ...byCampaign,
    });
    this.roundDuration = new Histogram({
      name: 'lth_round_duration_seconds',
      help: 'Wall time of a task attempt.',
      buckets: LONG_BUCKETS,
      ...byCampaign,
    });
    this.reconciles = new Counter({ name: 'lth_reconcile_total', help: 'Reconciles of a campaign.', registers: [r] });
    this.reconcileErrors = new Counter({
      name: 'lth_reconcile_errors_total',
      help: 'Reconciles that failed (retried with backoff).',
      registers: [r],
    });
    this.reconcileDuration = new Histogram({
      name: 'lth_reconcile_duration_seconds',
      help: 'Time of one reconcile.',
      buckets: RPC_BUCKETS,
      registers: [r],
    });
    this.jobsCreated = new Counter({ name: 'lth_jobs_created_total', help: 'Task Jobs created.', registers: [r] });
    new Gauge({
      name: 'lth_workqueue_depth',
      help: 'Campaign keys waiting to be reconciled.',
      registers: [r],
      collect() {
        this.set(sources.queueDepth?.() ?? 0);
      },
    });
    new Gauge({
      name: 'lth_leader',
      help: '1 when this controller holds the Lease (always 1 when running locally).',
      registers: [r],
      collect() {
        this.set(sources.leader ? Number(sources.leader()) : 1);
      },
    });
    // The collect() callbacks run with `this` bound to their gauge: they read these maps.
    const { phases, experiments } = this;
    new Gauge({
      name: 'lth_campaigns',
      help: 'Campaigns by phase.',
      labelNames: ['phase'],
      registers: [r],
      collect() {
        this.reset();
        for (const phase of CAMPAIGN_PHASES)
          this.set({ phase }, [...phases.values()].filter((p) => p === phase).length);
      },
    });
    new Gauge({
      name: 'lth_experiments',
      help: 'Experiments by campaign and state.',
      labelNames: ['campaign', 'state'],
      registers: [r],
      collect() {
        this.reset();
        for (const { campaign, state } of experiments.values()) this.inc({ campaign, state });
      },
    });
    const groups = () => {
      const out = new Map<string, { labels: Group; replicates: ScoredRound[][] }>();
      for (const e of experiments.values()) {
        const key = `${e.campaign}\u0000${e.pretraining}\u0000${e.task}`;
        const group = out.get(key) ?? {
          labels: { campaign: e.campaign, pretraining: e.pretraining, task: e.task },
          replicates: [],
        };
        group.replicates.push([...e.rounds.values()].sort((a, b) => a.round - b.round));
        out.set(key, group);
      }
      return [...out.values()];
    };
    const perGroup = (name: string, help: string, pick: (replicates: ScoredRound[][]) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['campaign', 'pretraining', 'task'],
        registers: [r],
        collect() {
          this.reset();
          for (const g of groups()) {
            const v = pick(g.replicates);
            if (v !== null) this.set(g.labels, v);
          }
        },
      });
    const latest = (pick: (r: ScoredRound) => number) => (replicates: ScoredRound[][]) => {
      const last = replicates
        .map((rounds) => rounds[rounds.length - 1])
        .filter((x): x is ScoredRound => x !== undefined);
      return last.length ? last.reduce((s, x) => s + pick(x), 0) / last.length : null;
    };
    perGroup(
      'lth_current_sparsity_ratio',
      'Sparsity of the latest finished round (mean over replicates).',
      latest((x) => x.sparsity),
    );
    perGroup(
      'lth_latest_test_accuracy_ratio',
      'Test accuracy of the latest finished round (mean over replicates).',
      latest((x) => x.testAccuracy),
    );
    perGroup(
      'lth_dense_test_accuracy_ratio',
      'Test accuracy of the dense model, round 0 (mean over replicates).',
      (reps) => denseAccuracyOf(meanOverReplicates(reps)),
    );
    perGroup(
      'lth_winning_sparsity_ratio',
      'Sparsity of the sparsest matching subnetwork so far, on the mean over replicates; absent while there is none.',
      (reps) => winningSparsity(meanOverReplicates(reps)),
    );
    new Gauge({
      name: 'lth_round_test_accuracy_ratio',
      help: 'Test accuracy by round (mean over replicates): accuracy against sparsity.',
      labelNames: ['campaign', 'pretraining', 'task', 'round'],
      registers: [r],
      collect() {
        this.reset();
        for (const g of groups()) {
          for (const x of meanOverReplicates(g.replicates))
            this.set({ ...g.labels, round: String(x.round) }, x.testAccuracy);
        }
      },
    });
  }

  setCampaignPhase(campaign: string, phase: string): void {
    this.phases.set(campaign, phase);
  }

  private entry(campaign: string, experiment: Experiment) {
    const s = experiment.settings;
    let e = this.experiments.get(experiment.id);
    if (!e) {
      e = { campaign, pretraining: s.pretraining.name, task: s.task, state: 'Pending', rounds: new Map() };
      this.experiments.set(experiment.id, e);
    }
    return e;
  }

  setExperimentState(campaign: string, experiment: Experiment, state: ExperimentState): void {
    this.entry(campaign, experiment).state = state;
  }

  /** A finished round's numbers (from a local event or from the store, in a cluster). */
  recordRound(campaign: string, experiment: Experiment, round: ScoredRound): void {
    this.entry(campaign, experiment).rounds.set(round.round, {
      round: round.round,
      sparsity: round.sparsity,
      testAccuracy: round.testAccuracy,
    });
  }
}
