/**
 * The default recipes per task family, as data: `finetune: { recipe: cifar }` (or a pre-training's
 * `training`, or `pretrainingTickets.training`) starts from one of these, and any field given beside it
 * wins. Each is checked against the training schema by a test. On a cluster the same expansion runs in the
 * controller: the CRD declares no defaults, so the API server fills in nothing that could override a recipe.
 */
export const TRAINING_RECIPES = {
  /** MNIST, Fashion-MNIST and other 28x28 digits: SGD 0.1 / 0.9, batch 64, 10 epochs (LeNet and small ResNets). */
  digits: {
    epochs: 10,
    batchSize: 64,
    optimizer: { learningRate: 0.1, momentum: 0.9, weightDecay: 0, schedule: 'step', milestones: [] },
    selection: 'best-validation',
  },
  /**
   * CIFAR-10/100, SVHN and other 32x32 images, the paper's: SGD 0.1 / 0.9, weight decay 2e-4, batch 128,
   * 182 epochs, x0.1 at epochs 91 and 136, one epoch of warm-up (352 steps of 45,000 images).
   */
  cifar: {
    epochs: 182,
    batchSize: 128,
    optimizer: {
      learningRate: 0.1,
      momentum: 0.9,
      weightDecay: 2e-4,
      schedule: 'step',
      milestones: [91, 136],
      gamma: 0.1,
      warmupSteps: 352,
    },
    selection: 'best-validation',
  },
  /** ImageNet-size images, torchvision's: SGD 0.1 / 0.9, weight decay 1e-4, batch 256, 90 epochs, x0.1 at 30 and 60. */
  imagenet: {
    epochs: 90,
    batchSize: 256,
    optimizer: {
      learningRate: 0.1,
      momentum: 0.9,
      weightDecay: 1e-4,
      schedule: 'step',
      milestones: [30, 60],
      gamma: 0.1,
    },
    selection: 'best-validation',
  },
  /** The rounds of pre-training tickets, the paper's: 10 epochs of SGD at a small constant learning rate. */
  'pretraining-tickets': {
    epochs: 10,
    batchSize: 128,
    optimizer: { learningRate: 0.01, momentum: 0.9, weightDecay: 0, schedule: 'step', milestones: [] },
  },
} as const;

export type TrainingRecipeName = keyof typeof TRAINING_RECIPES;
export const TRAINING_RECIPE_NAMES = Object.keys(TRAINING_RECIPES) as [TrainingRecipeName, ...TrainingRecipeName[]];

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A training object with its recipe expanded under the fields given beside it (nested objects merged). */
function expandTraining(training: unknown): unknown {
  if (!isPlain(training) || typeof training['recipe'] !== 'string') return training;
  const { recipe, ...given } = training;
  const base = (TRAINING_RECIPES as Record<string, Plain>)[recipe as string];
  if (!base) return training; // an unknown name: the schema says which names there are
  const merged: Plain = { ...base };
  for (const [key, value] of Object.entries(given)) {
    merged[key] = isPlain(value) && isPlain(base[key]) ? { ...(base[key] as Plain), ...value } : value;
  }
  return merged;
}

/**
 * A campaign document with every training recipe expanded: `finetune`, each pre-training's `training` and
 * `pretrainingTickets.training`. Anything else is left as it is for the schema to judge.
 */
export function withRecipesExpanded(document: unknown): unknown {
  if (!isPlain(document)) return document;
  const out: Plain = { ...document };
  if ('finetune' in out) out['finetune'] = expandTraining(out['finetune']);
  if (Array.isArray(out['pretrainings'])) {
    out['pretrainings'] = out['pretrainings'].map((p: unknown) =>
      isPlain(p) && 'training' in p ? { ...p, training: expandTraining(p['training']) } : p,
    );
  }
  const tickets = out['pretrainingTickets'];
  if (isPlain(tickets) && 'training' in tickets) {
    out['pretrainingTickets'] = { ...tickets, training: expandTraining(tickets['training']) };
  }
  return out;
}
