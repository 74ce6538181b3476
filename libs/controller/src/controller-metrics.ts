import { Counter, Gauge, Histogram, LONG_BUCKETS, processMetrics, Registry, RPC_BUCKETS } from '@lth/metrics';
import type { Experiment } from '@lth/core';
import type { CampaignEvent } from './campaign-events';

type Science = { round: number; sparsity: number; accuracy: number; dense: number | null; winning: number | null };

/**
 * Every metric the controller exports, in one place, for both the local runner and the cluster
 * controller. Labels: campaign, pretraining, task, round (the ladder is short), phase, state;
 * never an experiment id or a seed: seeds of a (campaign, pre-training, task) are averaged.
 */
export class ControllerMetrics {
  readonly registry = new Registry();
  private readonly started = new Map<string, number>();
  private readonly science = new Map<string, Science & { campaign: string; pretraining: string; task: string }>();
  private readonly roundAccuracy = new Map<string, { labels: Record<string, string>; values: Map<string, number> }>();
  private readonly states = new Map<string, { campaign: string; state: string }>();
  private readonly phases = new Map<string, string>();
  readonly roundsStarted: Counter;
  readonly roundsSucceeded: Counter;
  readonly roundsFailed: Counter;
  readonly roundsRetried: Counter;
  readonly roundDuration: Histogram;
  readonly reconciles: Counter;
  readonly reconcileErrors: Counter;
  readonly reconcileDuration: Histogram;
  readonly jobsCreated: Counter;
  readonly jobsDeleted: Counter;

  constructor(sources: { queueDepth?: () => number; leader?: () => boolean } = {}) {
    const r = this.registry;
    r.setDefaultLabels({ service: 'controller' });
    processMetrics(r);
    this.roundsStarted = new Counter({ name: 'lth_rounds_started_total', help: 'IMP rounds (and pre-trainings) started.', labelNames: ['campaign'], registers: [r] });
    this.roundsSucceeded = new Counter({ name: 'lth_rounds_succeeded_total', help: 'IMP rounds finished.', labelNames: ['campaign'], registers: [r] });
    this.roundsFailed = new Counter({ name: 'lth_rounds_failed_total', help: 'IMP round attempts that failed.', labelNames: ['campaign'], registers: [r] });
    this.roundsRetried = new Counter({ name: 'lth_rounds_retried_total', help: 'Failed round attempts that were retried.', labelNames: ['campaign'], registers: [r] });
    this.roundDuration = new Histogram({ name: 'lth_round_duration_seconds', help: 'Wall time of an IMP round, start to record.', labelNames: ['campaign'], buckets: LONG_BUCKETS, registers: [r] });
    this.reconciles = new Counter({ name: 'lth_reconcile_total', help: 'Reconciles of a campaign.', registers: [r] });
    this.reconcileErrors = new Counter({ name: 'lth_reconcile_errors_total', help: 'Reconciles that failed (retried with backoff).', registers: [r] });
    this.reconcileDuration = new Histogram({ name: 'lth_reconcile_duration_seconds', help: 'Time of one reconcile.', buckets: RPC_BUCKETS, registers: [r] });
    this.jobsCreated = new Counter({ name: 'lth_jobs_created_total', help: 'Round Jobs created.', registers: [r] });
    this.jobsDeleted = new Counter({ name: 'lth_jobs_deleted_total', help: 'Round Jobs deleted.', registers: [r] });
    new Gauge({ name: 'lth_workqueue_depth', help: 'Campaign keys waiting to be reconciled.', registers: [r], collect() { this.set(sources.queueDepth?.() ?? 0); } });
    new Gauge({ name: 'lth_leader', help: '1 when this controller holds the Lease (always 1 when running locally).', registers: [r], collect() { this.set(sources.leader ? Number(sources.leader()) : 1); } });
    // The collect() callbacks run with `this` bound to their gauge: they read these maps.
    const { phases, states, science, roundAccuracy } = this;
    new Gauge({
      name: 'lth_campaigns',
      help: 'Campaigns by phase.',
      labelNames: ['phase'],
      registers: [r],
      collect() {
        this.reset();
        for (const phase of ['Pending', 'Running', 'Succeeded', 'Failed', 'Invalid']) this.set({ phase }, [...phases.values()].filter((p) => p === phase).length);
      },
    });
    new Gauge({
      name: 'lth_experiments',
      help: 'Experiments by campaign and state.',
      labelNames: ['campaign', 'state'],
      registers: [r],
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const { campaign, state } of states.values()) counts.set(`${campaign}\u0000${state}`, (counts.get(`${campaign}\u0000${state}`) ?? 0) + 1);
        for (const [k, n] of counts) {
          const [campaign, state] = k.split('\u0000');
          this.set({ campaign: campaign!, state: state! }, n);
        }
      },
    });
    const perGroup = (name: string, help: string, pick: (s: Science) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['campaign', 'pretraining', 'task'],
        registers: [r],
        collect() {
          this.reset();
          const groups = new Map<string, { labels: Record<string, string>; values: number[] }>();
          for (const s of science.values()) {
            const v = pick(s);
            if (v === null) continue;
            const key = `${s.campaign}/${s.pretraining}/${s.task}`;
            const g = groups.get(key) ?? { labels: { campaign: s.campaign, pretraining: s.pretraining, task: s.task }, values: [] };
            g.values.push(v);
            groups.set(key, g);
          }
          for (const g of groups.values()) this.set(g.labels, g.values.reduce((a, b) => a + b, 0) / g.values.length);
        },
      });
    perGroup('lth_current_sparsity_ratio', 'Sparsity of the latest finished round (mean over seeds).', (s) => s.sparsity);
    perGroup('lth_latest_test_accuracy_ratio', 'Test accuracy of the latest finished round (mean over seeds).', (s) => s.accuracy);
    perGroup('lth_dense_test_accuracy_ratio', 'Test accuracy of the dense model, round 0 (mean over seeds).', (s) => s.dense);
    perGroup('lth_winning_sparsity_ratio', 'Sparsity of the sparsest matching subnetwork so far (mean over seeds); 0 while only the dense model matches.', (s) => s.winning);
    new Gauge({
      name: 'lth_round_test_accuracy_ratio',
      help: 'Test accuracy by round (mean over seeds): accuracy against sparsity.',
      labelNames: ['campaign', 'pretraining', 'task', 'round'],
      registers: [r],
      collect() {
        this.reset();
        for (const { labels, values } of roundAccuracy.values()) {
          const byRound = new Map<string, number[]>();
          for (const [k, v] of values) {
            const round = k.split('/')[1]!;
            byRound.set(round, [...(byRound.get(round) ?? []), v]);
          }
          for (const [round, vs] of byRound) this.set({ ...labels, round }, vs.reduce((a, b) => a + b, 0) / vs.length);
        }
      },
    });
  }

  setCampaignPhase(campaign: string, phase: string): void {
    this.phases.set(campaign, phase);
  }

  setExperimentState(campaign: string, experimentId: string, state: string): void {
    this.states.set(experimentId, { campaign, state });
  }

  /** Records a finished round's numbers (from a local event or a cluster status). */
  recordRound(campaign: string, e: Experiment, round: number, sparsity: number, accuracy: number, dense: number | null, winning: number | null): void {
    const s = e.settings;
    if (winning === null && (dense ?? this.science.get(e.id)?.dense) != null) winning = 0;
    const prev = this.science.get(e.id);
    if (!prev || round >= prev.round) this.science.set(e.id, { campaign, pretraining: s.pretraining.name, task: s.task, round, sparsity, accuracy, dense: dense ?? prev?.dense ?? null, winning });
    const key = `${campaign}/${s.pretraining.name}/${s.task}`;
    const group = this.roundAccuracy.get(key) ?? { labels: { campaign, pretraining: s.pretraining.name, task: s.task }, values: new Map<string, number>() };
    group.values.set(`${e.id}/${round}`, accuracy);
    this.roundAccuracy.set(key, group);
  }

  /** Follows a local campaign's events. */
  observe(campaign: string, event: CampaignEvent): void {
    switch (event.type) {
      case 'round-started':
        this.roundsStarted.inc({ campaign });
        this.started.set(`${event.experiment.id}/${event.round}`, performance.now());
        this.setExperimentState(campaign, event.experiment.id, 'Running');
        break;
      case 'round-finished': {
        const r = event.record;
        const t0 = this.started.get(`${event.experiment.id}/${r.round}`);
        if (!event.skipped) {
          this.roundsSucceeded.inc({ campaign });
          if (t0 !== undefined) this.roundDuration.observe({ campaign }, (performance.now() - t0) / 1000);
        }
        const dense = r.round === 0 ? r.testAccuracy : null;
        const prev = this.science.get(event.experiment.id);
        const baseline = dense ?? prev?.dense ?? null;
        // The dense model always matches itself: the winning sparsity starts at 0.
        const winning = r.round > 0 && baseline !== null && r.testAccuracy >= baseline ? Math.max(r.sparsity, prev?.winning ?? 0) : (prev?.winning ?? (baseline !== null ? 0 : null));
        this.recordRound(campaign, event.experiment, r.round, r.sparsity, r.testAccuracy, dense, winning);
        this.setExperimentState(campaign, event.experiment.id, r.round === event.experiment.settings.rounds ? 'Succeeded' : 'Running');
        break;
      }
      case 'round-failed':
        this.roundsFailed.inc({ campaign });
        if (event.willRetry) this.roundsRetried.inc({ campaign });
        break;
      case 'experiment-failed':
        this.setExperimentState(campaign, event.experiment.id, 'Failed');
        break;
      default:
        break;
    }
  }
}
