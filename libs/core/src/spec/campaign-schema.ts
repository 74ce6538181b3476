import { z } from 'zod';
import { quote } from '../quote';
import { roundsToReach } from '../ladder';
import { TORCHVISION_DEPTHS } from '../models/torchvision-resnet';
import { datasetSourcesSchema } from './dataset-source';
import { TRAINING_RECIPE_NAMES } from './training-recipes';
import { NAME_PATTERN_MAX_LENGTH, NAME_PATTERNS_MAX, namePatternError } from '../pruning/name-pattern';

/**
 * The campaign file: one schema, used by `lth validate`, `lth run` and (later) the CRD, so that
 * all of them accept and reject the same documents. Every field has a default where a sane one
 * exists; ids are computed from the settings with defaults omitted.
 */

/** The largest value of a uint32 proto field (steps, examples, milestones): what a request can carry. */
const UINT32_MAX = 4_294_967_295;
/** Seeds travel as uint64 but are JavaScript numbers here: exact up to 2^53 - 1. */
const SEED_MAX = Number.MAX_SAFE_INTEGER;
/** Pruning rounds after round 0, however they are asked for (rounds or targetSparsity at a rate). */
export const MAX_ROUNDS = 100;
/** Experiments in one campaign (models x pre-trainings x tasks x seeds). */
export const MAX_EXPERIMENTS = 10_000;

const seed = z.number().int().min(0).max(SEED_MAX);
const count32 = z.number().int().min(0).max(UINT32_MAX);

const name = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be lowercase letters, digits and dashes (max 63)');

export const optimizerSchema = z
  .object({
    learningRate: z.number().positive().default(0.05),
    momentum: z.number().min(0).max(1).default(0.9),
    weightDecay: z.number().min(0).default(0),
    /** Epochs at which the learning rate is multiplied by gamma. */
    milestones: z.array(count32.positive()).max(1000).default([]),
    gamma: z.number().positive().max(1).default(0.1),
    /** Linear warm-up over this many steps, from learningRate / warmupSteps to learningRate. */
    warmupSteps: count32.default(0),
    /** `step`: milestones and gamma; `cosine`: annealed to 0 over the training after the warm-up. */
    schedule: z.enum(['step', 'cosine']).default('step'),
  })
  .strict()
  .refine((o) => o.schedule === 'step' || o.milestones.length === 0, {
    message: 'milestones apply to the step schedule only',
    path: ['milestones'],
  });

/**
 * Training-time augmentation of the images (evaluation is never augmented). `dataset`: the dataset's own
 * recipe (CIFAR: 4-pixel padded crop and flip; SVHN: crop; digits and the packaged datasets: none; image
 * folders: flip); `custom`: cropPadding and horizontalFlip as given.
 */
export const augmentationSchema = z
  .object({
    recipe: z.enum(['dataset', 'none', 'custom']).default('dataset'),
    cropPadding: z.number().int().min(0).max(64).default(0),
    horizontalFlip: z.boolean().default(false),
  })
  .strict();

/** Per-channel input normalisation, (pixel / 255 - mean) / std: one value per channel, or one for all. */
export const normalizationSchema = z
  .object({
    mean: z.array(z.number().min(-10).max(10)).min(1).max(3),
    std: z.array(z.number().positive().max(100)).min(1).max(3),
  })
  .strict()
  .refine((n) => n.mean.length === n.std.length, { message: 'mean and std need as many values', path: ['std'] });

/** torchvision's ImageNet statistics, which its pre-trained models (supervised, MoCo, SimCLR conversions) expect. */
export const IMAGENET_NORMALIZATION = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

export const trainingSchema = z
  .object({
    /**
     * A default recipe per task family to start from (`TRAINING_RECIPES`: digits, cifar, imagenet,
     * pretraining-tickets); fields given beside it win. Expanded before anything else reads the campaign.
     */
    recipe: z.enum(TRAINING_RECIPE_NAMES).optional(),
    epochs: z.number().int().positive().max(10_000).default(1),
    /** Stop after this many steps; 0 runs every epoch. */
    maxSteps: count32.default(0),
    batchSize: z.number().int().positive().max(65_536).default(128),
    /** Use at most this many training examples a pass; 0 uses the whole split. */
    maxExamples: count32.default(0),
    optimizer: optimizerSchema.default(() => optimizerSchema.parse({})),
    augmentation: augmentationSchema.default(() => augmentationSchema.parse({})),
    /**
     * Which weights a training reports: `last`, or `best-validation` (the paper's): the epoch with the best
     * accuracy on the validation split, scored after every epoch; the test accuracy is then that epoch's,
     * and the last epoch's is kept beside it. IMP prunes the last weights either way.
     */
    selection: z.enum(['last', 'best-validation']).default('last'),
  })
  .strict();

/** What supervised and self-supervised pre-trainings on a dataset share. */
const trainedPretrainingFields = {
  name,
  dataset: z.string().min(1),
  seed: seed.default(0),
  /**
   * Each replicate pre-trains with its own seed (as the paper does); `seed` is then unused. Default: one
   * pre-training from `seed`, shared by every replicate (as one public checkpoint is).
   */
  perSeed: z.boolean().default(false),
  training: trainingSchema.default(() => trainingSchema.parse({})),
  /** Input normalisation while pre-training and for every experiment that starts from it; unset: pixel / 255. */
  normalization: normalizationSchema.optional(),
};

const supervisedPretraining = z
  .object({
    ...trainedPretrainingFields,
    kind: z.literal('supervised'),
  })
  .strict();

/**
 * How each view of an image is drawn for contrastive pre-training (SimCLR's recipe; noise stands in for
 * blur on small images). Turn `horizontalFlip` off for digits.
 */
export const viewRecipeSchema = z
  .object({
    minCropScale: z.number().gt(0).max(1).default(0.2),
    horizontalFlip: z.boolean().default(true),
    brightness: z.number().min(0).max(1).default(0.4),
    contrast: z.number().min(0).max(1).default(0.4),
    saturation: z.number().min(0).max(1).default(0.4),
    noiseStd: z.number().min(0).max(1).default(0.05),
  })
  .strict();

const projectionSchema = z
  .object({
    hidden: z.number().int().positive().max(65_536).default(512),
    dim: z.number().int().positive().max(65_536).default(128),
  })
  .strict();

type TrainingInput = z.infer<typeof trainingSchema>;

/** The two views replace `training.augmentation`: a contrastive pre-training leaves it unset. */
const noSupervisedAugmentation = (p: { training: TrainingInput }) => p.training.augmentation.recipe === 'dataset';
const augmentationIssue = {
  message: 'a contrastive pre-training augments by `views`; leave training.augmentation unset',
  path: ['training', 'augmentation'],
};
/** Selection scores labels, which a contrastive pre-training does not use. */
const noSelection = (p: { training: TrainingInput }) => p.training.selection === 'last';
const selectionIssue = {
  message: 'a contrastive pre-training has no labels to select by: leave training.selection unset',
  path: ['training', 'selection'],
};

const simclrPretraining = z
  .object({
    ...trainedPretrainingFields,
    kind: z.literal('simclr'),
    temperature: z.number().positive().max(100).default(0.5),
    projection: projectionSchema.default(() => projectionSchema.parse({})),
    views: viewRecipeSchema.default(() => viewRecipeSchema.parse({})),
  })
  .strict()
  .refine(noSupervisedAugmentation, augmentationIssue)
  .refine(noSelection, selectionIssue)
  .refine((p) => p.training.batchSize >= 2, {
    message: "SimCLR needs at least 2 images a batch (each is the others' negative)",
    path: ['training', 'batchSize'],
  });

const mocoPretraining = z
  .object({
    ...trainedPretrainingFields,
    kind: z.literal('moco'),
    temperature: z.number().positive().max(100).default(0.2),
    /** The key encoder follows the query encoder as k <- m k + (1 - m) q. */
    keyMomentum: z.number().min(0).lt(1).default(0.999),
    /** Earlier keys kept as negatives. */
    queueSize: z.number().int().positive().max(1_048_576).default(4096),
    projection: projectionSchema.default(() => projectionSchema.parse({})),
    views: viewRecipeSchema.default(() => viewRecipeSchema.parse({})),
  })
  .strict()
  .refine(noSupervisedAugmentation, augmentationIssue)
  .refine(noSelection, selectionIssue);

const filePretraining = z
  .object({
    name,
    kind: z.literal('file'),
    /** A TF.js layers model (model.json beside its weight files), for the one model it fits. */
    path: z.string().min(1),
    model: z.string().min(1),
    /** The input normalisation the model was trained with; unset: pixel / 255. */
    normalization: normalizationSchema.optional(),
  })
  .strict();

/** torchvision's spelling and lth's model name of each torchvision ResNet lth builds. */
const TORCHVISION_ARCHS = TORCHVISION_DEPTHS.flatMap((d) => [`resnet-${d}`, `resnet${d}`]) as [string, ...string[]];

const pytorchPretraining = z
  .object({
    name,
    kind: z.literal('pytorch'),
    /** A torch.save checkpoint of a torchvision ResNet (PyTorch 1.6 or later), on the store's volume. */
    path: z.string().min(1),
    /** torchvision ResNet: resnet50 or resnet-50 (the model it fits). */
    arch: z.enum(TORCHVISION_ARCHS),
    /** Keys under this prefix are the model's (MoCo v2: module.encoder_q.); empty: the whole state_dict. */
    prefix: z.string().max(256).default(''),
    /** The input normalisation the checkpoint was trained with: torchvision's ImageNet statistics unless given. */
    normalization: normalizationSchema.default(() => IMAGENET_NORMALIZATION),
  })
  .strict();

const randomInitPretraining = z
  .object({
    name,
    kind: z.literal('none'),
  })
  .strict();

export const pretrainingSchema = z.discriminatedUnion('kind', [
  supervisedPretraining,
  simclrPretraining,
  mocoPretraining,
  filePretraining,
  pytorchPretraining,
  randomInitPretraining,
]);

export const pruningSchema = z
  .object({
    strategy: z.enum(['global', 'layerwise']).default('global'),
    /** Fraction of the remaining prunable weights removed each round. */
    rate: z.number().gt(0).lt(1).default(0.2),
    /** RE2 regular expressions over weight names that are never pruned (no backreferences, no lookaround). */
    excludePatterns: z
      .array(
        z
          .string()
          .max(NAME_PATTERN_MAX_LENGTH, `is longer than ${NAME_PATTERN_MAX_LENGTH} characters`)
          .superRefine((p, ctx) => {
            const error = p.length <= NAME_PATTERN_MAX_LENGTH && namePatternError(p);
            if (error) ctx.addIssue({ code: 'custom', message: error });
          }),
      )
      .max(NAME_PATTERNS_MAX)
      .default([]),
    pruneStem: z.boolean().default(false),
  })
  .strict();

/** What a ticket's survivors are rewound to (see `imp.rewind`). */
export const REWIND_POINTS = ['pretrained', 'init', 'early', 'dense'] as const;
export type RewindPoint = (typeof REWIND_POINTS)[number];

export const impSchema = z
  .object({
    /** Pruning rounds after the dense round 0. */
    rounds: z.number().int().min(1).max(MAX_ROUNDS).optional(),
    /** Alternative to rounds: prune until at least this sparsity. */
    targetSparsity: z.number().gt(0).lt(1).optional(),
    /**
     * Where survivors are rewound to: the pre-trained weights θ_p, the seed's random init θ_0 (classic
     * LTH), the weights θ_k early in round 0's fine-tuning (late rewinding: `rewindStep` or
     * `rewindFraction`), or the dense fine-tuned weights of round 0 (head included: same task).
     */
    rewind: z.enum(REWIND_POINTS).default('pretrained'),
    /** `rewind: early`: θ_k is the weights after this many steps of round 0. */
    rewindStep: count32.optional(),
    /** `rewind: early`: θ_k is the weights after this fraction of round 0's steps (rounded). */
    rewindFraction: z.number().min(0).max(1).optional(),
    pruning: pruningSchema.default(() => pruningSchema.parse({})),
  })
  .strict()
  .refine((v) => !(v.rounds !== undefined && v.targetSparsity !== undefined), {
    message: 'give rounds or targetSparsity, not both',
  })
  .superRefine((v, ctx) => {
    const given = [v.rewindStep, v.rewindFraction].filter((x) => x !== undefined).length;
    if (v.rewind === 'early' && given !== 1)
      ctx.addIssue({
        code: 'custom',
        path: ['rewind'],
        message: 'rewind: early needs rewindStep or rewindFraction (one)',
      });
    if (v.rewind !== 'early' && given > 0) {
      const path = [v.rewindStep !== undefined ? 'rewindStep' : 'rewindFraction'];
      ctx.addIssue({ code: 'custom', path, message: 'applies to rewind: early only' });
    }
  })
  .superRefine((v, ctx) => {
    if (v.targetSparsity === undefined) return;
    const rounds = roundsToReach(v.targetSparsity, v.pruning.rate);
    if (rounds <= MAX_ROUNDS) return;
    ctx.addIssue({
      code: 'custom',
      path: ['targetSparsity'],
      message:
        `${v.targetSparsity} at a pruning rate of ${v.pruning.rate} takes ${rounds.toExponential(2)} rounds; ` +
        `at most ${MAX_ROUNDS}: raise imp.pruning.rate or lower the target`,
    });
  });

/**
 * The branches of a round (open_lth's word): baselines trained like the round's ticket but from another mask
 * or init, each cached by its own digest. `random-pruning`: as many weights kept as the ticket, anywhere
 * among the prunable ones; `random-pruning-layerwise`: as many in each layer; `reversed-mask`: the prunable
 * weights the ticket pruned, and only those; `random-reinit`: the ticket's mask on a fresh random init;
 * `oneshot-magnitude`: the dense fine-tuned weights (round 0) pruned by magnitude to the ticket's sparsity
 * in one step.
 */
export const BRANCH_KINDS = [
  'random-pruning',
  'random-pruning-layerwise',
  'reversed-mask',
  'random-reinit',
  'oneshot-magnitude',
] as const;

const roundList = z
  .array(z.number().int().min(0).max(MAX_ROUNDS))
  .min(1)
  .max(MAX_ROUNDS + 1)
  .refine((r) => new Set(r).size === r.length, { message: 'lists a round twice' });

export const branchSchema = z
  .object({
    kind: z.enum(BRANCH_KINDS),
    /** The pruned rounds to branch from (round 0 is dense: nothing to branch); default: every one. */
    rounds: roundList.refine((r) => !r.includes(0), { message: 'round 0 is dense and has no branches' }).optional(),
  })
  .strict();

/**
 * IMP on the pre-training task itself (the paper's pre-training tickets): round 1 prunes θ_p by magnitude;
 * each later round trains the ticket from θ_p with the pre-training's own objective (its labels, or
 * SimCLR's or MoCo's contrastive loss) on its dataset, then prunes. The masks are tickets to transfer.
 */
export const pretrainingTicketsSchema = z
  .object({
    /** Pre-trainings (supervised, simclr, moco) to find tickets on; default: every one of those kinds. */
    pretrainings: z.array(name).min(1).max(64).optional(),
    /** How each round trains; default: the pre-training's own `training`. */
    training: trainingSchema.optional(),
  })
  .strict();

/** What `transfer.from` calls the pre-training tickets (beside the campaign's task names). */
export const PRETRAINING_TICKETS = 'pretraining-tickets';

/**
 * Tickets moved to other tasks: the mask of each round of every experiment on a `from` task, on θ_p with a
 * fresh head (and a fresh stem where the input differs), fine-tuned and evaluated on each `to` task. Round 0
 * is the dense transfer, the line its tickets are matching against.
 */
export const transferSchema = z
  .object({
    /**
     * Tasks of the campaign whose experiments' masks move, and `pretraining-tickets` for those found on the
     * pre-training tasks; default: all of them.
     */
    from: z.array(z.string().min(1)).min(1).max(64).optional(),
    to: z.array(z.string().min(1)).min(1).max(64),
    /** Rounds to move; default: every round, 0 included. */
    rounds: roundList.optional(),
  })
  .strict();

export const evaluationSchema = z
  .object({
    split: z.enum(['validation', 'test']).default('test'),
    batchSize: z.number().int().positive().max(65_536).default(1000),
    maxExamples: count32.default(0),
  })
  .strict();

/**
 * When a pruned round counts as matching over replicates (the paper: "no worse than the dense model
 * over the runs"). `mean`: its mean accuracy is at least the dense mean. `within-one-std`: its mean plus
 * one (sample) standard deviation is; the looser reading some follow-up work uses.
 */
export const MATCHING_RULES = ['mean', 'within-one-std'] as const;
export type MatchingRule = (typeof MATCHING_RULES)[number];

/** The pattern of a Kubernetes quantity written as a string. */
export const QUANTITY_PATTERN = /^[0-9]+(\.[0-9]+)?([eE][0-9]+|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/** A Kubernetes quantity: a whole number (`cpu: 2`) or a string (`500m`, `16Gi`), as kubectl takes it. */
const quantity = z.union([
  z.number().int().min(0),
  z.string().regex(QUANTITY_PATTERN, 'must be a Kubernetes quantity such as 500m, 4 or 16Gi'),
]);

/**
 * Where a campaign's task Jobs run on Kubernetes; `lth run` ignores it. Unset fields take the
 * controller's defaults.
 */
export const clusterSchema = z
  .object({
    image: z.string().min(1).optional(),
    serviceAccount: z.string().min(1).optional(),
    nodeSelector: z.record(z.string(), z.string()).optional(),
    tolerations: z
      .array(
        z
          .object({
            key: z.string().optional(),
            operator: z.enum(['Exists', 'Equal']).optional(),
            value: z.string().optional(),
            effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
            tolerationSeconds: z.number().int().optional(),
          })
          .strict(),
      )
      .optional(),
    resources: z
      .object({
        requests: z.record(z.string(), quantity).optional(),
        limits: z.record(z.string(), quantity).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const campaignSchema = z
  .object({
    name,
    models: z.array(z.string().min(1)).min(1),
    pretrainings: z.array(pretrainingSchema).min(1),
    tasks: z.array(z.string().min(1)).min(1),
    /** Datasets in files, by name, for tasks and supervised pre-trainings (packaged ones need none). */
    datasets: datasetSourcesSchema.default([]),
    seeds: z.array(seed).min(1).max(MAX_EXPERIMENTS, `at most ${MAX_EXPERIMENTS} seeds`).default([0]),
    imp: impSchema.default(() => impSchema.parse({})),
    finetune: trainingSchema.default(() => trainingSchema.parse({})),
    evaluation: evaluationSchema.default(() => evaluationSchema.parse({})),
    /** Baselines run beside the rounds they branch from (default: none). */
    branches: z.array(branchSchema).max(BRANCH_KINDS.length).default([]),
    transfer: transferSchema.optional(),
    pretrainingTickets: pretrainingTicketsSchema.optional(),
    /** Experiments run at the same time; 0 means one per core (locally) or the controller's default (cluster). */
    parallelism: z.number().int().min(0).max(1024).default(0),
    /** Attempts per task (a pre-training or a round) before its experiments fail; bad input is never retried. */
    attempts: z.number().int().min(1).max(10).default(2),
    cluster: clusterSchema.optional(),
    /** How results are read; not part of what an experiment is. */
    analysis: z
      .object({
        /** Matching over replicates: mean >= dense mean, or within one standard deviation of it. */
        matching: z.enum(MATCHING_RULES).default('mean'),
      })
      .strict()
      .default({ matching: 'mean' }),
  })
  .strict()
  .superRefine((c, ctx) => {
    const grid = c.models.length * c.pretrainings.length * c.tasks.length * c.seeds.length;
    if (grid > MAX_EXPERIMENTS) {
      const shape = `${c.models.length} x ${c.pretrainings.length} x ${c.tasks.length} x ${c.seeds.length}`;
      ctx.addIssue({
        code: 'custom',
        path: ['seeds'],
        message: `models x pretrainings x tasks x seeds is ${shape} = ${grid} experiments; at most ${MAX_EXPERIMENTS}`,
      });
    }
    const seen = new Set<string>();
    c.pretrainings.forEach((p, i) => {
      if (seen.has(p.name)) {
        ctx.addIssue({ code: 'custom', path: ['pretrainings', i, 'name'], message: `duplicate name ${quote(p.name)}` });
      }
      seen.add(p.name);
    });
    const kinds = new Set<string>();
    c.branches.forEach((b, i) => {
      if (kinds.has(b.kind))
        ctx.addIssue({ code: 'custom', path: ['branches', i, 'kind'], message: `${b.kind} is listed twice` });
      kinds.add(b.kind);
    });
    const sources = c.pretrainingTickets ? [...c.tasks, PRETRAINING_TICKETS] : c.tasks;
    c.transfer?.from?.forEach((t, i) => {
      if (!sources.includes(t)) {
        const message = `${quote(t)} is not one of the campaign's transfer sources (${sources.join(', ')})`;
        ctx.addIssue({ code: 'custom', path: ['transfer', 'from', i], message });
      }
    });
    c.pretrainingTickets?.pretrainings?.forEach((n, i) => {
      const p = c.pretrainings.find((q) => q.name === n);
      if (!p || !('dataset' in p)) {
        const message = `${quote(n)} is not a supervised, simclr or moco pre-training of the campaign`;
        ctx.addIssue({ code: 'custom', path: ['pretrainingTickets', 'pretrainings', i], message });
      }
    });
  });

export type CampaignSpec = z.infer<typeof campaignSchema>;
export type PretrainingSpec = z.infer<typeof pretrainingSchema>;
/** The pre-trainings that train on a dataset (supervised or self-supervised). */
export type TrainedPretrainingSpec = Extract<PretrainingSpec, { kind: 'supervised' | 'simclr' | 'moco' }>;
export type ContrastivePretrainingSpec = Extract<PretrainingSpec, { kind: 'simclr' | 'moco' }>;
export type ViewRecipeSpec = z.infer<typeof viewRecipeSchema>;
export type TrainingSpec = z.infer<typeof trainingSchema>;
export type OptimizerSpec = z.infer<typeof optimizerSchema>;
export type NormalizationSpec = z.infer<typeof normalizationSchema>;
export type PruningSpec = z.infer<typeof pruningSchema>;
export type ImpSpec = z.infer<typeof impSchema>;
export type EvaluationSpec = z.infer<typeof evaluationSchema>;
export type ClusterSpec = z.infer<typeof clusterSchema>;
export type BranchSpec = z.infer<typeof branchSchema>;
export type TransferSpec = z.infer<typeof transferSchema>;
export type PretrainingTicketsSpec = z.infer<typeof pretrainingTicketsSchema>;

/** Default values, for omitting defaults from canonical settings. */
export const TRAINING_DEFAULTS: TrainingSpec = trainingSchema.parse({});
export const PRUNING_DEFAULTS: PruningSpec = pruningSchema.parse({});
export const EVALUATION_DEFAULTS: EvaluationSpec = evaluationSchema.parse({});
