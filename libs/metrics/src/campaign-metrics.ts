import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LONG_BUCKETS, RPC_BUCKETS } from './buckets';
import { processMetrics } from './process-metrics';

const CAMPAIGN_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Invalid'] as const;
const EXPERIMENT_STATES = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;

/**
 * What the campaign gauges read at scrape time: a campaign's phase and its experiments (the
 * controller's view is a Campaign's status in the informer cache; `lth run` keeps its own).
 */
export interface CampaignView {
  phase: string;
  /** `sparsity` is the latest finished round's (meaningful once `roundsDone` > 0). */
  experiments: readonly { state: string; winningSparsity: number | null; sparsity: number; roundsDone: number }[];
}

/**
 * The sparsity ranges of `lth_experiments_by_sparsity`: fixed, so the label is bounded whatever the
 * campaigns' pruning rates (the paper's 20% ladder puts rounds 1-2, 3-4, 5-7, ... in successive ranges).
 */
export const SPARSITY_RANGES = [
  { range: 'dense', upTo: 0 },
  { range: '0-20%', upTo: 0.2 },
  { range: '20-40%', upTo: 0.4 },
  { range: '40-60%', upTo: 0.6 },
  { range: '60-80%', upTo: 0.8 },
  { range: '80-90%', upTo: 0.9 },
  { range: '90-95%', upTo: 0.95 },
  { range: '95-98%', upTo: 0.98 },
  { range: '98-100%', upTo: 1 },
] as const;

/** Buckets of test accuracy (a ratio): finer near the top, where tickets are told apart. */
const ACCURACY_BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.925, 0.95, 0.975, 0.99, 1];

export function sparsityRange(sparsity: number): string {
  // Rounding slack: a round at exactly 20% sparsity (1 - 0.8) belongs to 0-20%.
  return SPARSITY_RANGES.find((r) => sparsity <= r.upTo + 1e-9)?.range ?? '98-100%';
}

export interface CampaignMetricsSources {
  /** The campaigns this runner answers for now: none on a controller that is not the leader. */
  campaigns?: () => Iterable<CampaignView>;
  queueDepth?: () => number;
  leader?: () => boolean;
}

/**
 * Every metric of a campaign runner, in one place, for both executors (`lth run` and the
 * Kubernetes controller). Labels come from fixed sets only (phase, state): a campaign's name, its
 * pre-trainings, tasks and rounds are the user's words and would make one series per value
 * forever. Gauges are computed in collect() from the runner's current view, so a deleted campaign
 * disappears with it. Of the science, what bounded labels can carry: work finished by phase (IMP rounds,
 * branch runs), the experiments' current sparsity in fixed ranges, and the accuracy of finished rounds as
 * a histogram; the curves, overlap and transfer per campaign are `lth report`'s.
 */
export class CampaignMetrics {
  readonly registry = new Registry();
  readonly roundsStarted: Counter;
  readonly roundsSucceeded: Counter;
  readonly branchesSucceeded: Counter;
  readonly roundAccuracy: Histogram;
  readonly roundsFailed: Counter;
  readonly roundsRetried: Counter;
  readonly roundDuration: Histogram;
  readonly reconciles: Counter;
  readonly reconcileErrors: Counter;
  readonly reconcileDuration: Histogram;
  readonly jobsCreated: Counter;

  constructor(sources: CampaignMetricsSources = {}) {
    const r = this.registry;
    r.setDefaultLabels({ service: 'controller' });
    processMetrics(r);
    const counter = (name: string, help: string) => new Counter({ name, help, registers: [r] });
    this.roundsStarted = counter('lth_rounds_started_total', 'Task attempts started (IMP rounds and pre-trainings).');
    this.roundsSucceeded = counter('lth_rounds_succeeded_total', 'IMP rounds finished.');
    this.branchesSucceeded = counter(
      'lth_branches_succeeded_total',
      'Branch runs finished (baselines and transfers of a round).',
    );
    this.roundAccuracy = new Histogram({
      name: 'lth_round_test_accuracy_ratio',
      help: 'Test accuracy of each IMP round as it finishes (rounds with no labels to score are left out).',
      buckets: ACCURACY_BUCKETS,
      registers: [r],
    });
    this.roundsFailed = counter('lth_rounds_failed_total', 'Task attempts that failed.');
    this.roundsRetried = counter('lth_rounds_retried_total', 'Failed task attempts that get another attempt.');
    this.roundDuration = new Histogram({
      name: 'lth_round_duration_seconds',
      help: 'Wall time of a task attempt.',
      buckets: LONG_BUCKETS,
      registers: [r],
    });
    this.reconciles = counter('lth_reconcile_total', 'Reconciles of a campaign.');
    this.reconcileErrors = counter('lth_reconcile_errors_total', 'Reconciles that failed (retried with backoff).');
    this.reconcileDuration = new Histogram({
      name: 'lth_reconcile_duration_seconds',
      help: 'Time of one reconcile.',
      buckets: RPC_BUCKETS,
      registers: [r],
    });
    this.jobsCreated = counter('lth_jobs_created_total', 'Task Jobs created.');
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
    const campaigns = () => [...(sources.campaigns?.() ?? [])];
    const experiments = () => campaigns().flatMap((c) => c.experiments);
    // A known label value with no campaign or experiment reads 0, not absent: a panel or an
    // alert on `state="Failed"` then has a series to compare against.
    const countBy = (
      name: string,
      help: string,
      label: { name: string; values: readonly string[] },
      of: () => string[],
    ) =>
      new Gauge({
        name,
        help,
        labelNames: [label.name],
        registers: [r],
        collect() {
          const seen = of();
          for (const v of label.values) this.set({ [label.name]: v }, seen.filter((x) => x === v).length);
        },
      });
    countBy('lth_campaigns', 'Campaigns by phase.', { name: 'phase', values: CAMPAIGN_PHASES }, () =>
      campaigns().map((c) => c.phase),
    );
    countBy('lth_experiments', 'Experiments by state.', { name: 'state', values: EXPERIMENT_STATES }, () =>
      experiments().map((e) => e.state),
    );
    countBy(
      'lth_experiments_by_sparsity',
      "Experiments by their latest finished round's sparsity (a fixed set of ranges).",
      { name: 'range', values: SPARSITY_RANGES.map((r) => r.range) },
      () =>
        experiments()
          .filter((e) => e.roundsDone > 0)
          .map((e) => sparsityRange(e.sparsity)),
    );
    new Gauge({
      name: 'lth_experiments_matching',
      help: 'Experiments with a matching pruned round so far (a winning ticket).',
      registers: [r],
      collect() {
        this.set(experiments().filter((e) => e.winningSparsity !== null).length);
      },
    });
  }
}
