import type { BranchRecord, PretrainingRecord, RoundRecord } from './records';

export type DriverPhase = 'pretraining' | 'prune' | 'finetune' | 'evaluate';

/** What a driver reports while it works (JSON lines on its stdout). */
export type DriverEvent =
  | { type: 'phase'; phase: DriverPhase }
  | { type: 'progress'; step: number; totalSteps: number; loss: number; imagesPerSecond: number }
  /** A service answered UNAVAILABLE; the call is repeated after delayMs. */
  | { type: 'retrying'; service: string; attempt: number; delayMs: number; reason: string }
  | { type: 'pretraining-finished'; record: PretrainingRecord }
  | { type: 'round-finished'; record: RoundRecord }
  | { type: 'branch-finished'; record: BranchRecord };

export function parseDriverEvent(line: string): DriverEvent | undefined {
  try {
    const v = JSON.parse(line) as DriverEvent;
    return v && typeof v === 'object' && typeof v.type === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
