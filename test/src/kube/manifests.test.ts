import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import Ajv from 'ajv';
import { pruneAndDefault, toJsonSchema } from './structural-schema';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { parseCampaign, validateCampaign } from '@lth/core';
import { campaignCrd } from '@lth/kube-core';
import { tempDir } from '../integration/harness';

const ROOT = resolve(__dirname, '../../..');

type Schema = { [k: string]: unknown };

async function crdFile(): Promise<Schema> {
  return parseYaml(await readFile(join(ROOT, 'k8s/base/crd.yaml'), 'utf8')) as Schema;
}

function specValidator(crd: Schema) {
  const version = ((crd['spec'] as Schema)['versions'] as Schema[])[0]!;
  const root = (version['schema'] as Schema)['openAPIV3Schema'] as Schema;
  const spec = (root['properties'] as Schema)['spec'];
  return new Ajv({ allErrors: true, strict: false }).compile(toJsonSchema(spec) as object);
}

test('k8s/base/crd.yaml is what `lth crd` generates from the campaign schema', async () => {
  assert.deepEqual(
    await crdFile(),
    campaignCrd(),
    'k8s/base/crd.yaml is stale: run `npm run lth -- crd > k8s/base/crd.yaml`',
  );
  const out = execFileSync(process.execPath, [join(ROOT, 'apps/cli/dist/main.js'), 'crd'], { encoding: 'utf8' });
  assert.deepEqual(parseYaml(out), campaignCrd());
});

const quickstart = () => parseYaml(readFileSync(join(ROOT, 'examples/quickstart.yaml'), 'utf8')) as Schema;

/** Documents both validators must treat alike: [label, document, valid?]. */
function cases(): [string, Schema, boolean][] {
  const q = quickstart();
  const imp = q['imp'] as Schema;
  const pre = (q['pretrainings'] as Schema[])[0]!;
  return [
    ['the quickstart', q, true],
    [
      'a minimal campaign',
      { name: 'x', models: ['lenet-300-100'], pretrainings: [{ name: 'p', kind: 'none' }], tasks: ['mnist'] },
      true,
    ],
    [
      'a file pre-training',
      { ...q, pretrainings: [{ name: 'f', kind: 'file', path: '/w/model.json', model: 'lenet-300-100' }] },
      true,
    ],
    ['an upper-case name', { ...q, name: 'Quick' }, false],
    ['no models', { ...q, models: [] }, false],
    ['rate 1', { ...q, imp: { ...imp, pruning: { rate: 1 } } }, false],
    ['rate 0', { ...q, imp: { ...imp, pruning: { rate: 0 } } }, false],
    ['an unknown strategy', { ...q, imp: { ...imp, pruning: { strategy: 'random' } } }, false],
    ['a negative learning rate', { ...q, finetune: { optimizer: { learningRate: -0.1 } } }, false],
    ['a misspelt field', { ...q, finetune: { batchSzie: 3 } }, false],
    ['an unknown pre-training kind', { ...q, pretrainings: [{ ...pre, kind: 'teleport' }] }, false],
    ['a supervised pre-training without a dataset', { ...q, pretrainings: [{ name: 'p', kind: 'supervised' }] }, false],
    [
      'a file pre-training without its model',
      { ...q, pretrainings: [{ name: 'f', kind: 'file', path: '/m.json' }] },
      false,
    ],
    ['a fractional seed', { ...q, seeds: [0.5] }, false],
    ['zero epochs', { ...q, finetune: { epochs: 0 } }, false],
    [
      'resources as integers and strings',
      { ...q, cluster: { resources: { limits: { cpu: 2, memory: '1Gi' } } } },
      true,
    ],
    ['a quantity that is not one', { ...q, cluster: { resources: { limits: { cpu: 'lots' } } } }, false],
    ['a fractional number as a quantity', { ...q, cluster: { resources: { requests: { cpu: 1.5 } } } }, false],
    ['attempts 0', { ...q, attempts: 0 }, false],
  ];
}

test('the CRD schema and `lth validate` accept and reject the same campaigns', async () => {
  const validate = specValidator(await crdFile());
  for (const [label, doc, valid] of cases()) {
    const byZod = (() => {
      try {
        validateCampaign(doc);
        return true;
      } catch {
        return false;
      }
    })();
    const byCrd = validate(doc) as boolean;
    assert.equal(byZod, valid, `lth validate on ${label}`);
    assert.equal(byCrd, valid, `CRD schema on ${label}: ${JSON.stringify(validate.errors)}`);
  }
});

test('a recipe survives the API server: stored as the CRD keeps it, it means what lth validate reads', async () => {
  const crd = await crdFile();
  const version = ((crd['spec'] as Schema)['versions'] as Schema[])[0]!;
  const spec = (((version['schema'] as Schema)['openAPIV3Schema'] as Schema)['properties'] as Schema)['spec'] as Schema;
  const text = `
name: recipes
models: [lenet-300-100]
pretrainings: [{ name: sup, kind: supervised, dataset: fashion-mnist, training: { recipe: digits, epochs: 2 } }]
tasks: [mnist]
finetune: { recipe: cifar, optimizer: { learningRate: 0.05 } }
pretrainingTickets: { training: { recipe: pretraining-tickets } }
`;
  // What the API server stores: unknown fields pruned, its defaults (the CRD declares none) filled.
  const stored = pruneAndDefault(parseYaml(text), spec);
  assert.deepEqual(validateCampaign(stored), parseCampaign(text));
  const local = parseCampaign(text);
  assert.deepEqual(local.finetune.optimizer.milestones, [91, 136]);
  assert.equal(local.finetune.optimizer.learningRate, 0.05);
  assert.equal(local.pretrainings[0]!.kind === 'supervised' && local.pretrainings[0]!.training.epochs, 2);
  assert.equal(local.pretrainingTickets!.training!.optimizer.learningRate, 0.01);
});

test('the sample custom resource holds a valid campaign', async () => {
  const cr = parseYaml(await readFile(join(ROOT, 'k8s/examples/quickstart-campaign.yaml'), 'utf8')) as Schema;
  assert.equal(cr['apiVersion'], 'lth.dev/v1alpha1');
  assert.equal(cr['kind'], 'Campaign');
  assert.ok(specValidator(await crdFile())(cr['spec']));
  const fromFile = parseCampaign(await readFile(join(ROOT, 'examples/quickstart.yaml'), 'utf8'));
  assert.deepEqual(validateCampaign(cr['spec']), fromFile);
});

function render(overlay: string, k8sDir = join(ROOT, 'k8s')): Schema[] {
  const out = execFileSync('kubectl', ['kustomize', join(k8sDir, 'overlays', overlay)], { encoding: 'utf8' });
  return parseAllDocuments(out).map((d) => d.toJS() as Schema);
}

/** The model class for an object: Kubernetes' own kinds, and the Prometheus Operator's CRDs. */
async function modelFor(o: Schema): Promise<new (data: unknown) => { validate(): void }> {
  const [group, version] = String(o['apiVersion']).includes('/')
    ? String(o['apiVersion']).split('/')
    : ['', String(o['apiVersion'])];
  const pkg = group === 'monitoring.coreos.com' ? '@kubernetes-models/prometheus-operator' : 'kubernetes-models';
  const module = await import(`${pkg}/${group ? `${group}/` : ''}${version}/${o['kind']}`);
  return module[o['kind'] as string] ?? module.default;
}

for (const overlay of ['gpu', 'cpu', 'gpu-monitoring']) {
  test(`kubectl kustomize renders the ${overlay} overlay; every object fits Kubernetes' schemas`, async () => {
    const objects = render(overlay);
    const kinds = objects.map((o) => `${o['kind']}/${(o['metadata'] as Schema)['name']}`);
    for (const k of [
      'Namespace/lth',
      'CustomResourceDefinition/campaigns.lth.dev',
      'Role/lth-controller',
      'Deployment/lth-controller',
      'Deployment/lth-finetune',
      'Service/lth-data',
      'PersistentVolumeClaim/lth-store',
      'NetworkPolicy/lth-services',
    ]) {
      assert.ok(kinds.includes(k), `${overlay} renders no ${k}`);
    }
    for (const o of objects) {
      const Model = await modelFor(o);
      assert.doesNotThrow(
        () => new Model(o).validate(),
        `${o['kind']}/${(o['metadata'] as Schema)['name']} in ${overlay}`,
      );
      if (o['kind'] === 'Deployment') {
        const pod = ((o['spec'] as Schema)['template'] as Schema)['spec'] as Schema;
        assert.equal((pod['securityContext'] as Schema)['runAsNonRoot'], true);
        assert.equal((pod['securityContext'] as Schema)['fsGroupChangePolicy'], 'OnRootMismatch');
        for (const c of pod['containers'] as Schema[]) {
          for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
            if (c[probe])
              assert.ok(Number((c[probe] as Schema)['timeoutSeconds']) >= 5, `${probe} of ${String(c['name'])}`);
          }
          const sc = c['securityContext'] as Schema;
          assert.equal(sc['readOnlyRootFilesystem'], true);
          assert.equal(sc['allowPrivilegeEscalation'], false);
          assert.deepEqual((sc['capabilities'] as Schema)['drop'], ['ALL']);
        }
      }
      assert.equal(
        ((o['metadata'] as Schema)['labels'] as Schema)?.['app.kubernetes.io/part-of'],
        'lth',
        `${o['kind']} is not labelled`,
      );
    }
    const finetune = objects.find(
      (o) => o['kind'] === 'Deployment' && (o['metadata'] as Schema)['name'] === 'lth-finetune',
    )!;
    const pod = ((finetune['spec'] as Schema)['template'] as Schema)['spec'] as Schema;
    const limits = ((pod['containers'] as Schema[])[0]!['resources'] as Schema)['limits'] as Schema;
    assert.equal(limits['nvidia.com/gpu'], overlay.startsWith('gpu') ? 1 : undefined);
    // Only the pods that take a GPU run the GPU image, and only they expect a GPU.
    for (const d of objects.filter((o) => o['kind'] === 'Deployment')) {
      const spec = ((d['spec'] as Schema)['template'] as Schema)['spec'] as Schema;
      const c = (spec['containers'] as Schema[])[0]!;
      const gpu = ((c['resources'] as Schema)['limits'] as Schema | undefined)?.['nvidia.com/gpu'] !== undefined;
      assert.equal(
        String(c['image']).includes('lth-gpu'),
        gpu,
        `${String((d['metadata'] as Schema)['name'])}: ${String(c['image'])}`,
      );
      const env = (c['env'] as { name: string; value?: string }[] | undefined) ?? [];
      const expects = env.find((e) => e.name === 'LTH_EXPECT_GPU')?.value === 'true';
      assert.equal(expects, gpu, `${String((d['metadata'] as Schema)['name'])}: LTH_EXPECT_GPU`);
    }
    // A full GPU pool must not hang a rollout: the GPU Deployments are replaced, not surged.
    const strategy = ((finetune['spec'] as Schema)['strategy'] as Schema | undefined)?.['type'];
    assert.equal(strategy, overlay.startsWith('gpu') ? 'Recreate' : undefined);
    const ctl = objects.find(
      (o) => o['kind'] === 'Deployment' && (o['metadata'] as Schema)['name'] === 'lth-controller',
    )!;
    const ctlContainer = (
      (((ctl['spec'] as Schema)['template'] as Schema)['spec'] as Schema)['containers'] as Schema[]
    )[0]!;
    assert.deepEqual(ctlContainer['command'], ['lth-controller']);
    for (const probe of ['readinessProbe', 'livenessProbe']) {
      assert.equal(((ctlContainer[probe] as Schema)['httpGet'] as Schema)['path'], '/healthz', probe);
    }
    const clusterScoped = ['Namespace', 'CustomResourceDefinition'];
    for (const o of objects.filter((x) => !clusterScoped.includes(String(x['kind'])))) {
      assert.equal((o['metadata'] as Schema)['namespace'], 'lth', `${o['kind']}/${(o['metadata'] as Schema)['name']}`);
    }
    if (overlay === 'gpu-monitoring') {
      for (const kind of ['PodMonitor', 'PrometheusRule']) {
        const o = objects.find((x) => x['kind'] === kind)!;
        assert.equal(((o['metadata'] as Schema)['labels'] as Schema)['release'], 'kube-prometheus-stack', kind);
      }
      for (const k of ['PodMonitor/lth', 'PrometheusRule/lth', 'ConfigMap/lth-grafana-dashboard'])
        assert.ok(kinds.includes(k), `no ${k}`);
      const cm = objects.find((o) => o['kind'] === 'ConfigMap')!;
      assert.equal(((cm['metadata'] as Schema)['labels'] as Schema)['grafana_dashboard'], '1');
      const dashboard = JSON.parse((cm['data'] as Schema)['lth-dashboard.json'] as string) as Schema;
      assert.equal(dashboard['uid'], 'lth-campaigns');
    }
  });
}

test("the metrics ports open to Prometheus's namespace, set in one place of the monitoring component", async () => {
  const metricsSources = (objects: Schema[]) =>
    objects
      .filter((o) => o['kind'] === 'NetworkPolicy')
      .flatMap((o) => ((o['spec'] as Schema)['ingress'] as { from: Schema[]; ports: { port: string }[] }[]) ?? [])
      .filter((rule) => rule.ports.some((p) => p.port === 'metrics'))
      .map((rule) => JSON.stringify(rule.from));
  const byName = (ns: string) =>
    JSON.stringify([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } } }]);
  const rendered = render('gpu-monitoring');
  assert.deepEqual(metricsSources(rendered), [byName('monitoring'), byName('monitoring')]);
  assert.ok(
    !rendered.some((o) => (o['metadata'] as Schema)['name'] === 'lth-monitoring-settings'),
    'settings are local',
  );
  // A copy of k8s/ with another namespace in settings.yaml: both policies follow it.
  const copy = join(await tempDir('k8s-copy'), 'k8s');
  cpSync(join(ROOT, 'k8s'), copy, { recursive: true });
  const settings = join(copy, 'monitoring/settings.yaml');
  writeFileSync(
    settings,
    readFileSync(settings, 'utf8').replace('prometheusNamespace: monitoring', 'prometheusNamespace: observability'),
  );
  assert.deepEqual(metricsSources(render('gpu-monitoring', copy)), [byName('observability'), byName('observability')]);
});

test('RBAC is namespaced; only the controller account has a Role (its verbs are checked in controller.test)', () => {
  const objects = render('cpu');
  assert.ok(!objects.some((o) => o['kind'] === 'ClusterRole' || o['kind'] === 'ClusterRoleBinding'));
  const roles = objects.filter((o) => o['kind'] === 'Role').map((o) => (o['metadata'] as Schema)['name']);
  assert.deepEqual(roles, ['lth-controller']);
  const accounts = objects.filter((o) => o['kind'] === 'ServiceAccount');
  for (const a of accounts) {
    const automount = a['automountServiceAccountToken'];
    assert.equal(
      automount,
      (a['metadata'] as Schema)['name'] === 'lth-controller',
      String((a['metadata'] as Schema)['name']),
    );
  }
});
