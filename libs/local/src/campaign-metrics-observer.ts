import { taskKey, winningSparsity, type Experiment, type ExperimentState, type ScoredRound } from '@lth/core';
import type { CampaignMetrics, CampaignView } from '@lth/metrics';
import type { CampaignEvent } from './campaign-events';

/** The campaign `lth run` is running, as its metrics see it (the controller reads a Campaign's status). */
export class LocalCampaignView implements CampaignView {
  phase = 'Running';
  private readonly states = new Map<string, ExperimentState>();
  private readonly rounds = new Map<string, ScoredRound[]>();

  constructor(experiments: readonly Experiment[]) {
    for (const e of experiments) {
      this.states.set(e.id, 'Pending');
      this.rounds.set(e.id, []);
    }
  }

  get experiments(): CampaignView['experiments'] {
    return [...this.states].map(([id, state]) => {
      const rounds = this.rounds.get(id)!;
      const latest = rounds[rounds.length - 1];
      return {
        state,
        winningSparsity: winningSparsity(rounds),
        sparsity: latest?.sparsity ?? 0,
        roundsDone: rounds.length,
      };
    });
  }

  setState(experiment: Experiment, state: ExperimentState): void {
    this.states.set(experiment.id, state);
  }

  recordRound(experiment: Experiment, round: ScoredRound): void {
    const rounds = (this.rounds.get(experiment.id) ?? []).filter((r) => r.round !== round.round);
    rounds.push({ round: round.round, sparsity: round.sparsity, testAccuracy: round.testAccuracy });
    this.rounds.set(
      experiment.id,
      rounds.sort((a, b) => a.round - b.round),
    );
  }
}

/** Feeds a campaign's events on this machine into its view and the campaign counters; returns the listener. */
export function observeCampaign(
  metrics: CampaignMetrics,
  view: LocalCampaignView,
  lastRound: number,
): (event: CampaignEvent) => void {
  const started = new Map<string, number>();
  return (event) => {
    switch (event.type) {
      case 'task-started':
        metrics.roundsStarted.inc();
        started.set(taskKey(event.task), performance.now());
        if (event.task.kind === 'round') view.setState(event.task.experiment, 'Running');
        break;
      case 'round-finished': {
        const { experiment, record } = event;
        const t0 = started.get(taskKey({ kind: 'round', experiment, round: record.round }));
        if (!event.skipped) {
          metrics.roundsSucceeded.inc();
          if (t0 !== undefined) metrics.roundDuration.observe((performance.now() - t0) / 1000);
          if (record.testAccuracy !== null) metrics.roundAccuracy.observe(record.testAccuracy);
        }
        view.recordRound(experiment, record);
        view.setState(experiment, record.round >= lastRound ? 'Succeeded' : 'Running');
        break;
      }
      case 'branch-finished':
        if (!event.skipped) metrics.branchesSucceeded.inc();
        break;
      case 'task-failed':
        metrics.roundsFailed.inc();
        if (event.willRetry) metrics.roundsRetried.inc();
        break;
      case 'experiment-failed':
        view.setState(event.experiment, 'Failed');
        break;
      default:
        break;
    }
  };
}
