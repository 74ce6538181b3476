/** Condition types and reasons of a Campaign's status: the one list, used by code, docs and tests. */
export const CONDITION = {
  Created: 'Created',
  Progressing: 'Progressing',
  Complete: 'Complete',
  Failed: 'Failed',
  Degraded: 'Degraded',
} as const;
export type ConditionType = (typeof CONDITION)[keyof typeof CONDITION];

export const REASON = {
  Accepted: 'Accepted',
  InvalidSpec: 'InvalidSpec',
  RoundsRunning: 'RoundsRunning',
  Waiting: 'Waiting',
  AllExperimentsFinished: 'AllExperimentsFinished',
  ExperimentsFailed: 'ExperimentsFailed',
  NoFailures: 'NoFailures',
  NotFinished: 'NotFinished',
} as const;

/** Reasons of the Events the controller records on a Campaign. */
export const EVENT_REASON = {
  InvalidSpec: 'InvalidSpec',
  RoundStarted: 'RoundStarted',
  RoundFinished: 'RoundFinished',
  RoundFailed: 'RoundFailed',
  JobDeleted: 'JobDeleted',
} as const;

export interface Condition {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/**
 * Sets a condition in a list, keeping lastTransitionTime unless the status flips (the
 * Kubernetes convention), and leaving the list untouched when nothing changed.
 */
export function setCondition(
  conditions: readonly Condition[],
  next: Omit<Condition, 'lastTransitionTime'>,
  now: string,
): Condition[] {
  const existing = conditions.find((c) => c.type === next.type);
  const lastTransitionTime = existing && existing.status === next.status ? existing.lastTransitionTime : now;
  const updated: Condition = { ...next, lastTransitionTime };
  return existing ? conditions.map((c) => (c.type === next.type ? updated : c)) : [...conditions, updated];
}
