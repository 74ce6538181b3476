import { settingsId, withoutDefaults } from '../canonical';
import { DEFAULT_ROUNDS, roundsToReach } from '../ladder';
import { torchvisionDepthOf } from '../models/torchvision-resnet';
import type { DatasetSource } from './dataset-source';
import {
  EVALUATION_DEFAULTS,
  PRUNING_DEFAULTS,
  TRAINING_DEFAULTS,
  type CampaignSpec,
  type EvaluationSpec,
  type PretrainingSpec,
  type PruningSpec,
  type RewindPoint,
  type TrainingSpec,
} from './campaign-schema';

/** How θ_p of one model is obtained. Its id names the pre-trained weights in the store. */
export interface Pretraining {
  id: string;
  name: string;
  model: string;
  source: PretrainingSpec;
  /** How a trained θ_p is scored on its dataset's test split (the campaign's; not part of the id). */
  evaluationBatchSize: number;
}

/**
 * One IMP trajectory: everything a round needs to know, and nothing else. How many rounds a
 * campaign asks for is not part of it (open_lth keeps levels out of the hash): asking for more
 * rounds continues the same experiment.
 */
export interface ExperimentSettings {
  model: string;
  pretraining: Pretraining;
  task: string;
  /** The task's files, when it is a dataset of the campaign's `datasets:` section. */
  taskSource?: DatasetSource;
  /** The replicate: every random choice of the experiment derives from it. */
  seed: number;
  /**
   * What each round trains for: the downstream task's labels, or (pre-training tickets) the pre-training's
   * own objective on its dataset, which is then `task`.
   */
  objective: 'downstream' | 'pretraining';
  rewind: RewindPoint;
  /** `rewind: early`: where in round 0 θ_k is taken. */
  rewindAt?: { step: number } | { fraction: number };
  pruning: PruningSpec;
  finetune: TrainingSpec;
  evaluation: EvaluationSpec;
}

export interface Experiment {
  id: string;
  settings: ExperimentSettings;
}

function pretrainingIdentity(model: string, source: PretrainingSpec, datasets: readonly DatasetSource[]): unknown {
  switch (source.kind) {
    case 'supervised':
    case 'simclr':
    case 'moco': {
      // The label and whether replicates share it are not what it is; the seed it ran with is.
      const { dataset, training, ...objective } = source;
      return {
        ...objective,
        name: undefined,
        perSeed: undefined,
        model,
        dataset,
        datasetSource: datasets.find((d) => d.name === dataset),
        training: withoutDefaults(training, TRAINING_DEFAULTS),
      };
    }
    case 'file':
      return { kind: source.kind, model, path: source.path, normalization: source.normalization };
    case 'pytorch':
      return {
        kind: source.kind,
        model,
        path: source.path,
        prefix: source.prefix,
        normalization: source.normalization,
      };
    case 'none':
      return { kind: source.kind, model };
  }
}

export function resolvePretraining(
  model: string,
  source: PretrainingSpec,
  spec: Pick<CampaignSpec, 'evaluation' | 'datasets'>,
): Pretraining {
  const { evaluation, datasets } = spec;
  const id = settingsId(pretrainingIdentity(model, source, datasets));
  return { id, name: source.name, model, source, evaluationBatchSize: evaluation.batchSize };
}

/** The canonical settings that identify an experiment (labels and defaults left out). */
function experimentIdentity(s: ExperimentSettings): unknown {
  return {
    model: s.model,
    pretraining: s.pretraining.id,
    task: s.task,
    // Where a file dataset's images come from is part of what the experiment is.
    taskSource: s.taskSource,
    seed: s.seed,
    objective: s.objective === 'downstream' ? undefined : s.objective,
    rewind: s.rewind === 'pretrained' ? undefined : s.rewind,
    rewindAt: s.rewindAt,
    pruning: withoutDefaults(s.pruning, PRUNING_DEFAULTS),
    finetune: withoutDefaults(s.finetune, TRAINING_DEFAULTS),
    evaluation: withoutDefaults(s.evaluation, EVALUATION_DEFAULTS),
  };
}

function rewindAtOf(spec: CampaignSpec): Pick<ExperimentSettings, 'rewindAt'> {
  const { rewind, rewindStep, rewindFraction } = spec.imp;
  if (rewind !== 'early') return {};
  return { rewindAt: rewindStep !== undefined ? { step: rewindStep } : { fraction: rewindFraction! } };
}

/** The last round a campaign asks for (round 0 is dense, so it runs this many pruning rounds). */
export function lastRound(spec: CampaignSpec): number {
  if (spec.imp.rounds !== undefined) return spec.imp.rounds;
  if (spec.imp.targetSparsity !== undefined) return roundsToReach(spec.imp.targetSparsity, spec.imp.pruning.rate);
  return DEFAULT_ROUNDS;
}

/**
 * The grid: models x pre-trainings x tasks x seeds. A pre-training read from a file fits only
 * the model it declares, so it pairs with that model alone.
 */
export function expandCampaign(spec: CampaignSpec): Experiment[] {
  const experiments: Experiment[] = [];
  for (const model of spec.models) {
    for (const source of spec.pretrainings) {
      if (source.kind === 'file' && source.model !== model) continue;
      if (source.kind === 'pytorch' && `resnet-${torchvisionDepthOf(source.arch)}` !== model) continue;
      const shared = resolvePretraining(model, source, spec);
      for (const task of spec.tasks) {
        for (const seed of spec.seeds) {
          // A per-seed pre-training is the shared one of that seed: the same id, computed once.
          const pretraining =
            'perSeed' in source && source.perSeed ? resolvePretraining(model, { ...source, seed }, spec) : shared;
          const settings: ExperimentSettings = {
            model,
            pretraining,
            task,
            taskSource: spec.datasets.find((d) => d.name === task),
            seed,
            objective: 'downstream',
            rewind: spec.imp.rewind,
            ...rewindAtOf(spec),
            pruning: spec.imp.pruning,
            finetune: spec.finetune,
            evaluation: spec.evaluation,
          };
          experiments.push({ id: settingsId(experimentIdentity(settings)), settings });
        }
      }
    }
  }
  return [...experiments, ...pretrainingTicketExperiments(spec)];
}

/**
 * The pre-training tickets a campaign asks for: per model, trained pre-training and seed, IMP whose rounds
 * train with the pre-training's own objective on its dataset, rewound to θ_p.
 */
function pretrainingTicketExperiments(spec: CampaignSpec): Experiment[] {
  const tickets = spec.pretrainingTickets;
  if (!tickets) return [];
  const out: Experiment[] = [];
  for (const model of spec.models) {
    for (const source of spec.pretrainings) {
      if (!('dataset' in source)) continue;
      if (tickets.pretrainings && !tickets.pretrainings.includes(source.name)) continue;
      for (const seed of spec.seeds) {
        const pretraining = resolvePretraining(model, source.perSeed ? { ...source, seed } : source, spec);
        const settings: ExperimentSettings = {
          model,
          pretraining,
          task: source.dataset,
          taskSource: spec.datasets.find((d) => d.name === source.dataset),
          seed,
          objective: 'pretraining',
          rewind: 'pretrained',
          pruning: spec.imp.pruning,
          finetune: tickets.training ?? source.training,
          evaluation: spec.evaluation,
        };
        out.push({ id: settingsId(experimentIdentity(settings)), settings });
      }
    }
  }
  return out;
}

/** The distinct pre-trainings a campaign needs, in first-use order. */
export function pretrainingsOf(experiments: readonly Experiment[]): Pretraining[] {
  const byId = new Map<string, Pretraining>();
  for (const e of experiments) byId.set(e.settings.pretraining.id, e.settings.pretraining);
  return [...byId.values()];
}
