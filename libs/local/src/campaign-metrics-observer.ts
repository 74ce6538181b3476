import { taskKey } from '@lth/core';
import type { CampaignMetrics } from '@lth/metrics';
import type { CampaignEvent } from './campaign-events';

/** Feeds a campaign's events on this machine into the campaign metrics; returns the listener. */
export function observeCampaign(
  metrics: CampaignMetrics,
  campaign: string,
  lastRound: number,
): (event: CampaignEvent) => void {
  const started = new Map<string, number>();
  return (event) => {
    switch (event.type) {
      case 'task-started':
        metrics.roundsStarted.inc({ campaign });
        started.set(taskKey(event.task), performance.now());
        if (event.task.kind === 'round') metrics.setExperimentState(campaign, event.task.experiment, 'Running');
        break;
      case 'round-finished': {
        const { experiment, record } = event;
        const t0 = started.get(taskKey({ kind: 'round', experiment, round: record.round }));
        if (!event.skipped) {
          metrics.roundsSucceeded.inc({ campaign });
          if (t0 !== undefined) metrics.roundDuration.observe({ campaign }, (performance.now() - t0) / 1000);
        }
        metrics.recordRound(campaign, experiment, record);
        metrics.setExperimentState(campaign, experiment, record.round >= lastRound ? 'Succeeded' : 'Running');
        break;
      }
      case 'task-failed':
        metrics.roundsFailed.inc({ campaign });
        if (event.willRetry) metrics.roundsRetried.inc({ campaign });
        break;
      case 'experiment-failed':
        metrics.setExperimentState(campaign, event.experiment, 'Failed');
        break;
      default:
        break;
    }
  };
}
