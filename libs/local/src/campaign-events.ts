import type { BranchRun, Experiment, Pretraining, Task } from '@lth/core';
import type { BranchRecord, DriverPhase, PretrainingRecord, RoundRecord } from '@lth/driver';

/** What a campaign running on this machine tells its watchers (the CLI's progress view, metrics). */
export type CampaignEvent =
  | { type: 'task-started'; task: Task; attempt: number }
  | { type: 'phase'; task: Task; phase: DriverPhase }
  | { type: 'progress'; task: Task; step: number; totalSteps: number; loss: number; imagesPerSecond: number }
  | { type: 'pretraining-finished'; pretraining: Pretraining; record: PretrainingRecord; skipped: boolean }
  | { type: 'round-finished'; experiment: Experiment; record: RoundRecord; skipped: boolean }
  | { type: 'branch-finished'; run: BranchRun; record: BranchRecord; skipped: boolean }
  /** A service answered UNAVAILABLE (restarting, shutting down); the driver calls again after delayMs. */
  | { type: 'retrying'; task: Task; service: string; attempt: number; delayMs: number; reason: string }
  | { type: 'task-failed'; task: Task; attempt: number; error: string; willRetry: boolean }
  | { type: 'experiment-failed'; experiment: Experiment; error: string }
  /** A finished task's record failed its digest check: the task counts as not finished and runs again. */
  | { type: 'record-corrupt'; ref: string; error: string };
