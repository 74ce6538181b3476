import type { PretrainRecord, RoundRecord } from './records';

/** What a round driver reports while it works (JSON lines on its stdout). */
export type DriverEvent =
  | { type: 'phase'; phase: 'pretrain' | 'finetune' | 'evaluate' | 'prune' }
  | { type: 'progress'; step: number; totalSteps: number; loss: number; imagesPerSecond: number }
  | { type: 'pretrain-done'; record: PretrainRecord }
  | { type: 'round-done'; record: RoundRecord };

export function parseDriverEvent(line: string): DriverEvent | undefined {
  try {
    const v = JSON.parse(line) as DriverEvent;
    return v && typeof v === 'object' && typeof v.type === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
