import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { branchRunsOf, expandCampaign, lastRound, validateCampaign } from '@lth/core';
import { collectResults } from '@lth/driver';
import {
  CAMPAIGN_GROUP,
  CAMPAIGN_KIND,
  CAMPAIGN_PLURAL,
  CAMPAIGN_VERSION,
  RETRY_ANNOTATION,
  type CampaignStatus,
} from '@lth/kube-core';
import { k8s, type CampaignObject } from '@lth/kube-controller';
import { ArtifactStore, defaultStoreRoot, writeFileAtomically } from '@lth/store';
import { writeResultsFiles } from './results-files';
import { loadCampaign } from './campaign-file';

function client(namespace?: string) {
  const kc = new (k8s().KubeConfig)();
  kc.loadFromDefault();
  const ns = namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  return { api: kc.makeApiClient(k8s().CustomObjectsApi), namespace: ns };
}

const ids = { group: CAMPAIGN_GROUP, version: CAMPAIGN_VERSION, plural: CAMPAIGN_PLURAL };

function apiMessage(e: unknown): string {
  const body = (e as { body?: unknown }).body;
  try {
    return (typeof body === 'string' ? (JSON.parse(body) as { message: string }) : (body as { message: string }))
      .message;
  } catch {
    return (e as Error).message;
  }
}

/** `lth submit`: validates locally, then creates the Campaign custom resource. */
export async function submitCommand(file: string, flags: { namespace?: string }): Promise<number> {
  await loadCampaign(file);
  const document = parseYaml(await readFile(file, 'utf8')) as { name: string };
  const { api, namespace } = client(flags.namespace);
  try {
    await api.createNamespacedCustomObject({
      ...ids,
      namespace,
      body: {
        apiVersion: `${CAMPAIGN_GROUP}/${CAMPAIGN_VERSION}`,
        kind: CAMPAIGN_KIND,
        metadata: { name: document.name, namespace },
        spec: document,
      },
    });
  } catch (e) {
    process.stderr.write(`lth submit: ${apiMessage(e)}\n`);
    return 1;
  }
  process.stdout.write(
    `campaign ${namespace}/${document.name} submitted; watch it with: kubectl get campaigns -n ${namespace} -w\n`,
  );
  return 0;
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(x * 100).toFixed(2)}%`);

/** `lth status [NAME]`: the controller's view of one campaign or of all. */
export async function statusCommand(name: string | undefined, flags: { namespace?: string }): Promise<number> {
  const { api, namespace } = client(flags.namespace);
  const items: CampaignObject[] = name
    ? [(await api.getNamespacedCustomObject({ ...ids, namespace, name })) as CampaignObject]
    : ((await api.listNamespacedCustomObject({ ...ids, namespace })) as { items: CampaignObject[] }).items;
  for (const c of items) {
    const s = c.status as CampaignStatus | undefined;
    const progress = `experiments ${s?.progress ?? '-'}`;
    const best = `best winning sparsity ${pct(s?.bestWinningSparsity)}`;
    process.stdout.write(`${c.metadata?.name}: ${s?.phase ?? 'Pending'}, ${progress}, ${best}\n`);
    for (const cond of s?.conditions ?? []) {
      if (cond.status === 'True') {
        process.stdout.write(`  ${cond.type}: ${cond.reason}${cond.message ? ` (${cond.message})` : ''}\n`);
      }
    }
    if (name) {
      for (const e of s?.experiments ?? []) {
        const what = `${e.id.slice(0, 8)} ${e.model} ${e.pretraining}->${e.task} seed ${e.seed}`;
        const accuracy = e.testAccuracy?.toFixed(4) ?? '-';
        const numbers = `sparsity ${pct(e.sparsity)}, acc ${accuracy}, winning ${pct(e.winningSparsity)}`;
        const why = e.message ? ` (${e.message})` : '';
        const branches = e.branches ? `, branches ${e.branchesDone}/${e.branches}` : '';
        process.stdout.write(`  ${what}: ${e.state}, round ${e.roundsDone}/${e.rounds}${branches}, ${numbers}${why}\n`);
      }
    }
  }
  return 0;
}

/** `lth results NAME --out DIR`: results.json and results.csv from the store, as `lth run` writes them. */
export async function resultsCommand(
  name: string,
  flags: { namespace?: string; out?: string; store?: string },
): Promise<number> {
  const { api, namespace } = client(flags.namespace);
  const campaign = (await api.getNamespacedCustomObject({ ...ids, namespace, name })) as CampaignObject;
  const spec = validateCampaign(campaign.spec);
  const store = new ArtifactStore(resolve(flags.store ?? defaultStoreRoot()));
  const experiments = expandCampaign(spec);
  const asked = {
    name: spec.name,
    experiments,
    lastRound: lastRound(spec),
    matchingRule: spec.analysis.matching,
    branchRuns: branchRunsOf(spec, experiments, lastRound(spec)),
  };
  const results = await collectResults(store, asked, (ref, e) =>
    process.stderr.write(`warning: the record ${ref} is corrupt (${e.message}); its rounds are left out\n`),
  );
  const out = resolve(flags.out ?? join('runs', name));
  const written = await writeResultsFiles(out, results);
  // What `lth analyze` and `lth report` need besides the store: the campaign, to score tickets as it did.
  await writeFileAtomically(join(out, 'campaign.yaml'), stringify(campaign.spec, { lineWidth: 0 }));
  process.stdout.write(`wrote ${join(out, written[0]!)}, ${written.slice(1).join(', ')} and campaign.yaml\n`);
  process.stdout.write(`report: lth report ${out} --store ${store.root}\n`);
  return 0;
}

/**
 * `lth retry NAME`: asks the controller to forget a campaign's failed tasks and run them again (a
 * new value of the lth.dev/retry annotation; the status remembers which value it acted on).
 */
export async function retryCommand(name: string, flags: { namespace?: string }): Promise<number> {
  const { api, namespace } = client(flags.namespace);
  const campaign = (await api.getNamespacedCustomObject({ ...ids, namespace, name })) as CampaignObject;
  const failed = (campaign.status as CampaignStatus | undefined)?.failedTasks ?? [];
  const token = new Date().toISOString();
  campaign.metadata = {
    ...campaign.metadata,
    annotations: { ...campaign.metadata?.annotations, [RETRY_ANNOTATION]: token },
  };
  try {
    await api.replaceNamespacedCustomObject({ ...ids, namespace, name, body: campaign });
  } catch (e) {
    process.stderr.write(`lth retry: ${apiMessage(e)}\n`);
    return 1;
  }
  process.stdout.write(`campaign ${namespace}/${name}: retrying ${failed.length} failed task(s)\n`);
  return 0;
}
