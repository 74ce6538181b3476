import { deriveSeed, type Experiment, type ExperimentResult, type SensitivitySample } from '@lth/core';
import type { DriverDeps } from './driver-deps';
import type { ServiceClients } from './service-clients';
import { evaluate, normalizationOf } from './service-calls';

export interface SensitivityPlan {
  /** The round whose tickets are perturbed. */
  round: number;
  /** Relative noise scales; 0 (the ticket itself) is what the drops are read against. */
  sigmas: readonly number[];
  /** Draws of the noise per σ > 0 (σ = 0 needs one). */
  draws: number;
}

/**
 * The paper's perturbation probe, through the evaluation service: each downstream experiment's ticket at
 * `round` (its fine-tuned weights under its mask) scored with Gaussian noise on the survivors, for every σ
 * and draw, exactly as the experiment itself was evaluated. The draws are seeded by the experiment, σ and
 * draw, so a rerun measures the same noise. `onTicket` reports each finished ticket.
 */
export async function measureSensitivity(
  deps: Pick<DriverDeps, 'signal'> & { clients: Pick<ServiceClients, 'evaluation'> },
  tickets: readonly { experiment: Experiment; result: ExperimentResult }[],
  plan: SensitivityPlan,
  onTicket: (done: number, of: number) => void = () => {},
): Promise<SensitivitySample[]> {
  const samples: SensitivitySample[] = [];
  const call = { ...deps, emit: () => {} };
  for (const [i, { experiment, result }] of tickets.entries()) {
    const r = result.rounds.find((x) => x.round === plan.round);
    if (!r?.maskDigest) throw new Error(`experiment ${result.id} has no ticket at round ${plan.round}`);
    const s = experiment.settings;
    for (const sigma of plan.sigmas)
      for (let draw = 0; draw < (sigma === 0 ? 1 : plan.draws); draw++) {
        const { accuracy } = await evaluate(call, {
          model: s.model,
          dataset: s.task,
          weightsDigest: r.weightsDigest,
          maskDigest: r.maskDigest,
          evaluation: s.evaluation,
          normalization: normalizationOf(s.pretraining.source),
          perturbation: { relativeScale: sigma, seed: deriveSeed(s.seed, 'perturbation', result.id, sigma, draw) },
        });
        samples.push({
          model: result.model,
          pretraining: result.pretraining,
          task: result.task,
          objective: result.objective,
          rewind: result.rewind,
          experiment: result.id,
          seed: result.seed,
          round: plan.round,
          sigma,
          draw,
          accuracy,
        });
      }
    onTicket(i + 1, tickets.length);
  }
  return samples;
}
