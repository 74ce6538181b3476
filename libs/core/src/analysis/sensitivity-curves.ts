import { sameSetting, settingKeyOf, type SettingKey } from './accuracy-curves';
import { meanAndStd } from './statistics';

/** One evaluation of a perturbed ticket: one experiment (replicate), one σ, one draw of the noise. */
export interface SensitivitySample extends SettingKey {
  experiment: string;
  seed: number;
  round: number;
  sigma: number;
  draw: number;
  accuracy: number;
}

/** A setting's accuracy at one σ, over its replicates and draws. */
export interface SensitivityPoint extends SettingKey {
  round: number;
  sigma: number;
  meanAccuracy: number;
  stdAccuracy: number | null;
  /** Replicates x draws. */
  samples: number;
  /** The mean accuracy lost against σ = 0 (the unperturbed ticket); null without a σ = 0 sample. */
  meanDrop: number | null;
}

/** The paper's perturbation-sensitivity curves: samples grouped by setting and σ, in order of σ. */
export function sensitivityCurves(samples: readonly SensitivitySample[]): SensitivityPoint[] {
  const groups = new Map<string, SensitivitySample[]>();
  for (const s of samples) {
    const key = JSON.stringify([s.model, s.pretraining, s.task, s.objective, s.rewind, s.round, s.sigma]);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const points = [...groups.values()].map((group) => {
    const { mean, std } = meanAndStd(group.map((s) => s.accuracy));
    return { ...settingKeyOf(group[0]!), round: group[0]!.round, sigma: group[0]!.sigma, mean, std, n: group.length };
  });
  return points
    .map((p) => {
      const unperturbed = points.find((q) => q.sigma === 0 && q.round === p.round && sameSetting(q, p));
      return {
        ...settingKeyOf(p),
        round: p.round,
        sigma: p.sigma,
        meanAccuracy: p.mean,
        stdAccuracy: p.std,
        samples: p.n,
        meanDrop: unperturbed ? unperturbed.mean - p.mean : null,
      };
    })
    .sort((a, b) => a.sigma - b.sigma);
}
