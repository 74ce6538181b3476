import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  expandCampaign,
  FailedPreconditionError,
  InvalidArgumentError,
  maskStats,
  quote,
  type CampaignSpec,
  type Experiment,
  type Mask,
} from '@lth/core';
import { ArtifactStore, defaultStoreRoot, writeFileAtomically } from '@lth/store';
import { loadCampaign } from './campaign-file';

export interface ExportFlags {
  round: number;
  out: string;
  format?: string;
  weights?: string;
  campaign?: string;
  store?: string;
}

const FORMATS = ['tfjs', 'pytorch'] as const;
const WEIGHTS = ['rewound', 'trained'] as const;

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value))
    throw new InvalidArgumentError(`--${flag} must be one of ${allowed.join(', ')}, not ${quote(value)}`);
  return value as T;
}

interface Found {
  experiment: Experiment;
  spec: CampaignSpec;
  /** The campaign file it is in. */
  file: string;
}

/**
 * Finds an experiment by id (or a unique prefix of 6+ characters) in a campaign file, or else in the
 * campaigns `lth run` left under runs/ (runs/<name>/campaign.yaml).
 */
async function findExperiment(id: string, file?: string): Promise<Found> {
  if (!/^[0-9a-f]{6,}$/.test(id))
    throw new InvalidArgumentError(`${quote(id)} is no experiment id (6 or more hex digits, as results.json lists)`);
  const files = file ? [file] : await campaignsUnderRuns();
  if (files.length === 0)
    throw new InvalidArgumentError('no campaign to look the experiment up in: give --campaign FILE');
  const found: Found[] = [];
  for (const f of files) {
    const spec = await loadCampaign(f);
    for (const experiment of expandCampaign(spec))
      if (experiment.id.startsWith(id)) found.push({ experiment, spec, file: f });
  }
  const ids = [...new Set(found.map((f) => f.experiment.id))];
  if (ids.length === 0)
    throw new InvalidArgumentError(`no experiment ${id} in ${file ?? `the ${files.length} campaign(s) under runs/`}`);
  if (ids.length > 1) throw new InvalidArgumentError(`${id} is ambiguous: ${ids.slice(0, 5).join(', ')}`);
  return found[0]!;
}

async function campaignsUnderRuns(): Promise<string[]> {
  const runs = resolve('runs');
  const names = await readdir(runs).catch(() => [] as string[]);
  const files = names.sort().map((name) => join(runs, name, 'campaign.yaml'));
  const present = await Promise.all(
    files.map((f) =>
      stat(f).then(
        () => true,
        () => false,
      ),
    ),
  );
  return files.filter((_, i) => present[i]);
}

/** The mask as TF.js weights: one byte per weight (dtype bool), described like a weights manifest. */
function maskFiles(mask: Mask): { json: unknown; bin: Uint8Array } {
  const tensors = [...mask];
  const bin = new Uint8Array(tensors.reduce((n, [, t]) => n + t.keep.length, 0));
  let at = 0;
  for (const [, t] of tensors) {
    bin.set(t.keep, at);
    at += t.keep.length;
  }
  const weights = tensors.map(([name, t]) => ({ name, shape: t.shape, dtype: 'bool' }));
  return { json: { format: 'lth-mask', weightsManifest: [{ paths: ['mask.bin'], weights }] }, bin };
}

/**
 * `lth export EXPERIMENT --round N --out DIR`: a ticket as files a user can take elsewhere. tfjs:
 * model.json and weights.bin (a layers model `tf.loadLayersModel` loads), mask.json and mask.bin; pytorch:
 * state_dict.pt and mask.pt (0/1 floats under the same keys), both `torch.load(..., weights_only=True)`.
 * Always card.json: settings, sparsity per layer, accuracy, digests. `--weights rewound` (default) is the
 * ticket the paper means, m ⊙ θ at the rewind point as fine-tuning starts from it; `trained`, the round's
 * fine-tuned weights under the mask. Returns the files written.
 */
export async function exportCommand(id: string, flags: ExportFlags): Promise<string[]> {
  const format = oneOf('format', flags.format ?? 'tfjs', FORMATS);
  const which = oneOf('weights', flags.weights ?? 'rewound', WEIGHTS);
  const { experiment, spec, file } = await findExperiment(id, flags.campaign);
  const store = new ArtifactStore(resolve(flags.store ?? defaultStoreRoot()));
  // The export computes nothing: wasm loads quietly everywhere, unless LTH_BACKEND names another backend.
  const { initBackend, parseBackendChoice } = await import('@lth/tensor');
  await initBackend(parseBackendChoice(process.env['LTH_BACKEND'] ?? 'wasm'));
  const [{ ticketStart }, { exportTicket }, info] = await Promise.all([
    import('@lth/driver'),
    import('@lth/services'),
    datasetInfo(spec.datasets.length > 0 ? file : undefined, experiment.settings.task),
  ]);
  const { record, start } = await ticketStart(store, experiment, flags.round).catch((e: Error) => {
    throw new FailedPreconditionError(`${e.message} (in the store ${store.root}; give --store if it is elsewhere)`);
  });
  const init =
    which === 'trained'
      ? { digest: record.weightsDigest, seed: experiment.settings.seed, freshHead: false }
      : { digest: start.rewindTo, seed: experiment.settings.seed, freshHead: start.freshHead };
  const ticket = await exportTicket(store, {
    model: experiment.settings.model,
    input: info,
    init,
    maskDigest: record.maskDigest,
  });
  const files: [string, string | Uint8Array][] = [];
  if (format === 'tfjs') {
    const { modelJson, weightsBin } = ticket.layersModel;
    files.push(['model.json', JSON.stringify(modelJson)], ['weights.bin', weightsBin]);
    if (ticket.mask) {
      const mask = maskFiles(ticket.mask);
      files.push(['mask.json', JSON.stringify(mask.json, null, 2) + '\n'], ['mask.bin', mask.bin]);
    }
  } else {
    const { torchStateDictFile } = await import('@lth/torch-checkpoint');
    files.push(['state_dict.pt', torchStateDictFile(ticket.weights)]);
    if (ticket.mask) {
      const keep = [...ticket.mask].map(([name, t]) => ({ name, shape: t.shape, values: Float32Array.from(t.keep) }));
      files.push(['mask.pt', torchStateDictFile(keep)]);
    }
  }
  const stats = ticket.mask ? maskStats(ticket.mask) : undefined;
  const card = {
    experiment: experiment.id,
    campaign: spec.name,
    round: flags.round,
    weights: which,
    format,
    model: experiment.settings.model,
    input: info,
    testAccuracy: record.testAccuracy,
    sparsity: stats?.sparsity ?? 0,
    remainingWeights: record.remainingWeights,
    layers: stats?.layers ?? [],
    digests: {
      mask: record.maskDigest,
      trainedWeights: record.weightsDigest,
      rewoundFrom: start.rewindTo,
      exported: which === 'trained' ? record.weightsDigest : start.rewindTo,
    },
    freshHead: which === 'rewound' && start.freshHead,
    backend: record.backend,
    settings: experiment.settings,
    files: files.map(([name]) => name),
  };
  files.push(['card.json', JSON.stringify(card, null, 2) + '\n']);
  // The card last: a directory with a card has every file the card lists.
  for (const [name, data] of files) await writeFileAtomically(join(flags.out, name), data);
  return files.map(([name]) => join(flags.out, name));
}

/** The task's image shape and classes, from the dataset as the data service loads it (`--datasets FILE`). */
async function datasetInfo(datasetsFile: string | undefined, task: string) {
  const { DatasetRegistry, fileDataset, readDatasetSources } = await import('@lth/datasets');
  const registry = new DatasetRegistry(process.env['LTH_CACHE'] ?? join(process.cwd(), '.lth', 'cache'));
  for (const source of datasetsFile ? await readDatasetSources(datasetsFile) : []) registry.add(fileDataset(source));
  const { info } = await registry.get(task);
  return { height: info.height, width: info.width, channels: info.channels, numClasses: info.numClasses };
}
