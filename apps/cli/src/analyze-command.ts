import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  analysisTables,
  analyzeCampaign,
  comparableRound,
  expandCampaign,
  FailedPreconditionError,
  InvalidArgumentError,
  parseResultsJson,
  ticketsAt,
  type CampaignAnalysis,
  type CampaignResults,
  type Mask,
  type SensitivitySample,
} from '@lth/core';
import { measureSensitivity } from '@lth/driver';
import { evaluationClient, openChannel } from '@lth/grpc-kit';
import { startLocalServices } from '@lth/local';
import { ArtifactStore, defaultStoreRoot, getMask, writeFileAtomically } from '@lth/store';
import { loadCampaign } from './campaign-file';
import { localPrograms } from './programs';

export interface AnalyzeFlags {
  store?: string;
  /** The round whose tickets are compared; default: the deepest every experiment finished. */
  round?: number;
  /** Comma-separated relative noise scales; `--no-sensitivity` skips the probe. */
  sigmas?: string;
  draws?: number;
  sensitivity?: boolean;
  /** The campaign file (default: DIR/campaign.yaml, which `lth run` writes). */
  campaign?: string;
  /** A running evaluation service (default: start the services here). */
  evaluation?: string;
  quiet?: boolean;
}

export const DEFAULT_SIGMAS = [0, 0.1, 0.2, 0.4, 0.8];
export const DEFAULT_DRAWS = 3;

/** Where the analysis of a results directory lives. */
export const analysisPath = (dir: string) => join(dir, 'analysis.json');

/** Reads DIR/results.json, naming the directory when there is none. */
export async function readResults(dir: string): Promise<CampaignResults> {
  const path = join(dir, 'results.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new InvalidArgumentError(`no results.json in ${dir}: run \`lth run\` (or \`lth results\`) into it first`);
  }
  return parseResultsJson(text, path);
}

function parseSigmas(text: string | undefined): number[] {
  if (text === undefined) return DEFAULT_SIGMAS;
  const sigmas = text.split(',').map((s) => Number(s.trim()));
  const bad = text.split(',').find((s, i) => s.trim() === '' || !Number.isFinite(sigmas[i]) || sigmas[i]! < 0);
  if (bad !== undefined)
    throw new InvalidArgumentError(`--sigmas: ${JSON.stringify(bad.slice(0, 20))} is not a number >= 0`);
  return [...new Set([0, ...sigmas])].sort((a, b) => a - b);
}

/**
 * `lth analyze DIR`: the paper's answers from a finished (or partly finished) campaign: curves, the
 * winning-ticket table, the transfer matrix from results.json; mask overlap and per-layer sparsity from
 * the masks in the store; perturbation sensitivity through the evaluation service (`evaluation`: an
 * address, or running services; else it starts them). Writes DIR/analysis.json and DIR/tables/*.csv.
 */
export async function analyzeDirectory(
  dir: string,
  flags: AnalyzeFlags,
  evaluation?: string,
): Promise<{ analysis: CampaignAnalysis; written: string[] }> {
  const log = (text: string) => {
    if (!flags.quiet) process.stdout.write(text + '\n');
  };
  const results = await readResults(dir);
  const store = new ArtifactStore(resolve(flags.store ?? defaultStoreRoot()));
  const round = flags.round ?? comparableRound(results);
  if (flags.round !== undefined && flags.round < 1)
    throw new InvalidArgumentError('--round must be a pruned round (1 or more): round 0 is the dense model');
  const tickets = round === null ? [] : ticketsAt(results, round);
  const masks = new Map<string, Mask>();
  for (const t of tickets) {
    try {
      masks.set(t.maskDigest, await getMask(store, t.maskDigest));
    } catch (e) {
      throw new FailedPreconditionError(
        `the mask of ${t.label} (round ${round}) is not in the store ${store.root}: ` +
          `give the store the campaign ran with (--store) [${(e as Error).message.slice(0, 120)}]`,
      );
    }
  }
  let sensitivity: { sigmas: number[]; draws: number; samples: SensitivitySample[] } | undefined;
  if (flags.sensitivity !== false && round !== null) {
    const sigmas = parseSigmas(flags.sigmas);
    const draws = flags.draws ?? DEFAULT_DRAWS;
    const where = { dir, address: evaluation ?? flags.evaluation, log };
    const samples = await probeSensitivity(results, flags, { round, sigmas, draws }, where);
    sensitivity = { sigmas, draws, samples };
  }
  const analysis = analyzeCampaign({ results, round, masks, ...(sensitivity ? { sensitivity } : {}) });
  const written = [analysisPath(dir)];
  await writeFileAtomically(analysisPath(dir), JSON.stringify(analysis, null, 2) + '\n');
  for (const [name, text] of analysisTables(analysis)) {
    await writeFileAtomically(join(dir, 'tables', name), text);
    written.push(join(dir, 'tables', name));
  }
  return { analysis, written };
}

async function probeSensitivity(
  results: CampaignResults,
  flags: AnalyzeFlags,
  plan: { round: number; sigmas: number[]; draws: number },
  { dir, address, log }: { dir: string; address: string | undefined; log: (text: string) => void },
): Promise<SensitivitySample[]> {
  const file = flags.campaign ?? join(dir, 'campaign.yaml');
  const spec = await loadCampaign(file).catch((e: Error) => {
    throw new FailedPreconditionError(
      'perturbation sensitivity evaluates the tickets as the campaign did, and needs its file: ' +
        `${e.message.slice(0, 200)} (give --campaign FILE, or --no-sensitivity)`,
    );
  });
  const experiments = new Map(expandCampaign(spec).map((e) => [e.id, e]));
  const tickets = results.experiments
    .filter((r) => r.objective === 'downstream')
    .map((result) => {
      const experiment = experiments.get(result.id);
      if (!experiment)
        throw new FailedPreconditionError(
          `experiment ${result.id} of results.json is not in ${file}: another campaign?`,
        );
      return { experiment, result };
    });
  let stop = async () => {};
  if (!address) {
    log('starting the services for the perturbation probe ...');
    const services = await startLocalServices({
      programs: localPrograms(),
      storeRoot: resolve(flags.store ?? defaultStoreRoot()),
      finetuneReplicas: 1,
      dataFlags: spec.datasets.length > 0 ? ['--datasets', resolve(file)] : [],
    });
    address = services.replicas[0]!.evaluation;
    stop = () => services.stop();
  }
  const channel = openChannel(address);
  try {
    const evaluations = tickets.length * (1 + plan.draws * plan.sigmas.filter((s) => s > 0).length);
    log(`perturbation sensitivity: ${tickets.length} tickets at round ${plan.round}, ${evaluations} evaluations`);
    return await measureSensitivity({ clients: { evaluation: evaluationClient(channel) } }, tickets, plan, (done, of) =>
      log(`  perturbed ${done}/${of} tickets`),
    );
  } finally {
    channel.close();
    await stop();
  }
}
