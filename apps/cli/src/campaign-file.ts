import { readFile } from 'node:fs/promises';
import { CampaignSpecError, checkKnownNames, parseCampaign, type CampaignSpec } from '@lth/core';

/** Reads and validates a campaign file against the schema and the model/dataset registries. */
export async function loadCampaign(path: string, extraDatasets: string[] = []): Promise<CampaignSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CampaignSpecError([
      { path: '(file)', message: `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` },
    ]);
  }
  const spec = parseCampaign(text);
  // Loaded here, not at the top: TF.js takes a while, and the cluster commands never need it.
  const { MODEL_NAMES } = await import('@lth/tensor');
  const { PACKAGED_DATASET_NAMES } = await import('@lth/datasets');
  const datasets = [...PACKAGED_DATASET_NAMES, ...spec.datasets.map((d) => d.name), ...extraDatasets];
  checkKnownNames(spec, { models: MODEL_NAMES, datasets });
  return spec;
}

/** One line per wrong field: `path: reason`. */
export function formatSpecError(file: string, e: CampaignSpecError): string {
  return e.issues.map((i) => `${file}: ${i.path}: ${i.message}`).join('\n');
}
