import { torchvisionDepthOf } from '../models/torchvision-resnet';
import type { CampaignSpec } from './campaign-schema';
import { CampaignSpecError, type SpecIssue } from './parse-campaign';
import { quote } from '../quote';

export interface KnownNames {
  models: readonly string[];
  datasets: readonly string[];
}

/** Checks model and dataset names against the registries, naming each field at fault. */
export function checkKnownNames(spec: CampaignSpec, known: KnownNames): void {
  const issues: SpecIssue[] = [];
  const unknown = (kind: string, value: string, list: readonly string[]) =>
    `unknown ${kind} ${quote(value)} (known: ${list.join(', ')})`;
  spec.models.forEach((m, i) => {
    if (!known.models.includes(m)) issues.push({ path: `models[${i}]`, message: unknown('model', m, known.models) });
  });
  spec.tasks.forEach((t, i) => {
    if (!known.datasets.includes(t))
      issues.push({ path: `tasks[${i}]`, message: unknown('dataset', t, known.datasets) });
  });
  spec.transfer?.to.forEach((t, i) => {
    if (!known.datasets.includes(t))
      issues.push({ path: `transfer.to[${i}]`, message: unknown('dataset', t, known.datasets) });
  });
  spec.pretrainings.forEach((p, i) => {
    if ('dataset' in p && !known.datasets.includes(p.dataset)) {
      issues.push({ path: `pretrainings[${i}].dataset`, message: unknown('dataset', p.dataset, known.datasets) });
    }
    if (p.kind === 'file' && !known.models.includes(p.model)) {
      issues.push({ path: `pretrainings[${i}].model`, message: unknown('model', p.model, known.models) });
    }
    if (p.kind === 'pytorch' && !spec.models.includes(`resnet-${torchvisionDepthOf(p.arch)}`)) {
      const model = `resnet-${torchvisionDepthOf(p.arch)}`;
      issues.push({ path: `pretrainings[${i}].arch`, message: `fits model ${model}, which models does not list` });
    }
  });
  if (issues.length > 0) throw new CampaignSpecError(issues);
}
