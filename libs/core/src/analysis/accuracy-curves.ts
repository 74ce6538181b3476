import type { BranchKind } from '../spec/branch-runs';
import type { AggregateRound, CampaignResults, SettingAggregate } from './results';

/** Which setting a row of the analysis belongs to (everything but the seed). */
export interface SettingKey {
  model: string;
  pretraining: string;
  task: string;
  objective: 'downstream' | 'pretraining';
  rewind: string;
}

/**
 * One point of an accuracy-vs-sparsity curve: a round of IMP or of one baseline, over replicates
 * (`matching` is IMP's only: null for the baselines and the dense round).
 */
export interface CurvePoint extends AggregateRound {
  /** `imp` for the tickets themselves, else the baseline's kind. */
  series: 'imp' | BranchKind;
}

/** The paper's Figure 2 for one setting: accuracy against sparsity, the dense line, the baselines. */
export interface AccuracyCurve extends SettingKey {
  denseMeanAccuracy: number | null;
  denseStdAccuracy: number | null;
  points: CurvePoint[];
}

export function settingKeyOf(s: SettingKey): SettingKey {
  return { model: s.model, pretraining: s.pretraining, task: s.task, objective: s.objective, rewind: s.rewind };
}

export function sameSetting(a: SettingKey, b: SettingKey): boolean {
  return (
    a.model === b.model &&
    a.pretraining === b.pretraining &&
    a.task === b.task &&
    a.objective === b.objective &&
    a.rewind === b.rewind
  );
}

/** A setting's name in tables and legends: `supervised → mnist`, or `moco ticket` for pre-training tickets. */
export function settingLabel(s: Pick<SettingKey, 'pretraining' | 'task' | 'objective'>): string {
  return s.objective === 'pretraining' ? `${s.pretraining} ticket` : `${s.pretraining} → ${s.task}`;
}

/** The curves of every setting with something scored (contrastive pre-training tickets have no accuracy). */
export function accuracyCurves(results: Pick<CampaignResults, 'settings'>): AccuracyCurve[] {
  return results.settings.filter((s) => s.rounds.length > 0).map(curveOf);
}

function curveOf(s: SettingAggregate): AccuracyCurve {
  const imp: CurvePoint[] = s.rounds.map((r) => ({ series: 'imp', ...r }));
  const branches: CurvePoint[] = s.branches.map(({ kind, ...b }) => ({ series: kind, ...b, matching: null }));
  return {
    ...settingKeyOf(s),
    denseMeanAccuracy: s.denseMeanAccuracy,
    denseStdAccuracy: s.denseStdAccuracy,
    points: [...imp, ...branches],
  };
}
