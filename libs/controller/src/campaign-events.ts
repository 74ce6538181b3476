import type { Experiment, PretrainingPlan } from '@lth/core';
import type { PretrainRecord, RoundRecord } from './records';

/** What a running campaign tells its watchers (the CLI's progress lines, metrics later). */
export type CampaignEvent =
  | { type: 'pretrain-started'; plan: PretrainingPlan }
  | { type: 'pretrain-finished'; plan: PretrainingPlan; record: PretrainRecord; skipped: boolean }
  | { type: 'round-started'; experiment: Experiment; round: number; attempt: number }
  | { type: 'phase'; experiment?: Experiment; plan?: PretrainingPlan; round?: number; phase: string }
  | { type: 'progress'; experiment?: Experiment; plan?: PretrainingPlan; round?: number; step: number; totalSteps: number; loss: number; imagesPerSecond: number }
  | { type: 'round-finished'; experiment: Experiment; record: RoundRecord; skipped: boolean }
  | { type: 'round-failed'; experiment: Experiment; round: number; attempt: number; error: string; willRetry: boolean }
  | { type: 'experiment-failed'; experiment: Experiment; error: string };
