import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CampaignSpecError, parseCampaign } from './parse-campaign';
import { expandCampaign, lastRound } from './expand-campaign';
import { checkKnownNames } from './known-names';

const minimal = `
name: demo
models: [lenet-300-100]
pretrainings:
  - { name: fashion, kind: supervised, dataset: fashion-mnist }
tasks: [mnist]
`;

function issuesOf(text: string): string[] {
  try {
    parseCampaign(text);
  } catch (e) {
    assert.ok(e instanceof CampaignSpecError);
    return e.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected the campaign to be rejected');
}

test('a minimal campaign gets the paper defaults', () => {
  const spec = parseCampaign(minimal);
  assert.equal(spec.imp.pruning.rate, 0.2);
  assert.equal(spec.imp.pruning.strategy, 'global');
  assert.deepEqual(spec.seeds, [0]);
  assert.equal(lastRound(spec), 19);
  assert.equal(spec.attempts, 2);
});

test('errors name the path of every wrong field', () => {
  const issues = issuesOf(`
name: Demo_Bad
models: []
pretrainings:
  - { name: p, kind: supervised, dataset: mnist, training: { optimizer: { learningRate: -1 } } }
  - { name: q, kind: teleport }
tasks: [mnist]
finetune: { epochs: 0, batchSzie: 3 }
imp: { rounds: 3, targetSparsity: 0.5 }
`);
  const paths = issues.map((i) => i.split(':')[0]);
  for (const p of [
    'name',
    'models',
    'pretrainings[0].training.optimizer.learningRate',
    'pretrainings[1].kind',
    'finetune.epochs',
    'finetune',
    'imp',
  ]) {
    assert.ok(paths.includes(p), `no issue for ${p} in\n${issues.join('\n')}`);
  }
  assert.ok(
    issues.some((i) => i.includes('batchSzie')),
    issues.join('\n'),
  );
});

test('unknown models and datasets are named with what is known', () => {
  const spec = parseCampaign(minimal.replace('tasks: [mnist]', 'tasks: [mnist, cifar-1000]'));
  assert.throws(
    () => checkKnownNames(spec, { models: ['lenet-300-100'], datasets: ['mnist', 'fashion-mnist'] }),
    (e: unknown) =>
      e instanceof CampaignSpecError && e.issues[0]!.path === 'tasks[1]' && /cifar-1000.*known: mnist/.test(e.message),
  );
});

test('YAML syntax errors are reported with their line, not thrown raw; an alias bomb is refused', () => {
  assert.match(issuesOf('name: demo\nmodels: [lenet\ntasks: [mnist]\n')[0]!, /^\(yaml line [23]\): /);
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++)
    bomb.push(
      `${'abcdefghij'[i]}: &${'abcdefghij'[i]} [${Array(10)
        .fill(`*${'abcdefghij'[i - 1]}`)
        .join(', ')}]`,
    );
  assert.deepEqual(issuesOf(bomb.join('\n')), ['(yaml): Excessive alias count indicates a resource exhaustion attack']);
});

test('experiment ids ignore defaults and key order, and change with real settings', () => {
  const a = expandCampaign(parseCampaign(minimal))[0]!.id;
  const b = expandCampaign(
    parseCampaign(minimal + 'imp: { pruning: { rate: 0.2, strategy: global } }\nseeds: [0]\n'),
  )[0]!.id;
  const c = expandCampaign(parseCampaign(minimal + 'imp: { pruning: { rate: 0.1 } }\n'))[0]!.id;
  assert.equal(a, b);
  assert.notEqual(a, c);
  // How far IMP runs is not what an experiment is: more rounds continue the same experiment.
  const longer = expandCampaign(parseCampaign(minimal + 'imp: { rounds: 25 }\n'))[0]!.id;
  const byTarget = expandCampaign(parseCampaign(minimal + 'imp: { targetSparsity: 0.5 }\n'))[0]!.id;
  assert.deepEqual([longer, byTarget], [a, a]);
  // Neither is how it is run.
  assert.equal(expandCampaign(parseCampaign(minimal + 'parallelism: 3\nattempts: 5\n'))[0]!.id, a);
  assert.match(a, /^[0-9a-f]{16}$/);
});

test('the grid is models x pretrainings x tasks x seeds', () => {
  const spec = parseCampaign(`
name: grid
models: [lenet-300-100, resnet-8]
pretrainings:
  - { name: sup, kind: supervised, dataset: fashion-mnist }
  - { name: scratch, kind: none }
  - { name: mine, kind: file, path: /w/model.json, model: resnet-8 }
tasks: [mnist, fashion-mnist]
seeds: [0, 1, 2]
imp: { targetSparsity: 0.9 }
`);
  const experiments = expandCampaign(spec);
  assert.equal(experiments.length, (2 * 2 + 1) * 2 * 3);
  assert.equal(new Set(experiments.map((e) => e.id)).size, experiments.length);
  assert.equal(lastRound(spec), 11); // 1 - 0.8^11 = 0.914
});

test('a pytorch pre-training pairs with the model its arch names, in either spelling', () => {
  const spec = parseCampaign(`
name: torch
models: [resnet-18, resnet-50]
pretrainings:
  - { name: moco, kind: pytorch, path: /w/moco.pth.tar, arch: resnet50, prefix: module.encoder_q. }
  - { name: sup, kind: pytorch, path: /w/r18.pth, arch: resnet-18 }
tasks: [mnist]
`);
  const pairs = expandCampaign(spec).map((e) => `${e.settings.model}:${e.settings.pretraining.name}`);
  assert.deepEqual(pairs, ['resnet-18:sup', 'resnet-50:moco']);
  const known = { models: ['resnet-18', 'resnet-50', 'resnet-152'], datasets: ['mnist'] };
  assert.doesNotThrow(() => checkKnownNames(spec, known));
  // An arch no listed model fits would pair with nothing: said, not silently dropped.
  const unpaired = parseCampaign(
    'name: a\nmodels: [resnet-18]\ntasks: [mnist]\n' +
      'pretrainings: [{ name: m, kind: pytorch, path: /w/m.pth, arch: resnet152 }]\n',
  );
  assert.throws(
    () => checkKnownNames(unpaired, known),
    /pretrainings\[0\]\.arch: fits model resnet-152, which models does not list/,
  );
  assert.match(
    issuesOf(
      'name: a\nmodels: [resnet-18]\ntasks: [mnist]\n' +
        'pretrainings: [{ name: m, kind: pytorch, path: /m, arch: vgg16 }]\n',
    )[0]!,
    /^pretrainings\[0\]\.arch: /,
  );
});

test('a supervised pre-training is shared by the replicates, or one per seed with perSeed', () => {
  const campaign = (pretraining: string) =>
    parseCampaign(`name: p\nmodels: [lenet-300-100]\ntasks: [mnist]\nseeds: [3, 4]\npretrainings: [${pretraining}]\n`);
  const ids = (spec: ReturnType<typeof parseCampaign>) => expandCampaign(spec).map((e) => e.settings.pretraining.id);
  const [a, b] = ids(campaign('{ name: sup, kind: supervised, dataset: fashion-mnist }'));
  assert.equal(a, b);
  const perSeed = expandCampaign(campaign('{ name: sup, kind: supervised, dataset: fashion-mnist, perSeed: true }'));
  assert.deepEqual(
    perSeed.map((e) => (e.settings.pretraining.source as { seed: number }).seed),
    [3, 4],
  );
  assert.notEqual(perSeed[0]!.settings.pretraining.id, perSeed[1]!.settings.pretraining.id);
  // Seed 3's own pre-training is the shared pre-training from seed 3: computed once, whoever asks.
  const [fromThree] = ids(campaign('{ name: sup, kind: supervised, dataset: fashion-mnist, seed: 3 }'));
  assert.equal(perSeed[0]!.settings.pretraining.id, fromThree);
});

test('absurd campaigns are refused by the limit they break, before anything expands', () => {
  const head = 'name: a\nmodels: [lenet-300-100]\npretrainings: [{ name: p, kind: none }]\ntasks: [mnist]\n';
  assert.deepEqual(issuesOf(`${head}imp: { targetSparsity: 0.99, pruning: { rate: 1.0e-10 } }\n`), [
    'imp.targetSparsity: 0.99 at a pruning rate of 1e-10 takes 4.61e+10 rounds; at most 100: ' +
      'raise imp.pruning.rate or lower the target',
  ]);
  assert.match(issuesOf(`${head}finetune: { maxSteps: 5000000000 }\n`)[0]!, /^finetune\.maxSteps: /);
  // One line for one field, though 2^60 breaks two rules (safe integer, maximum).
  assert.deepEqual(issuesOf(`${head}seeds: [1152921504606846976]\n`), [
    'seeds[0]: Too big: expected int to be <=9007199254740991',
  ]);
  const seeds = (n: number) => Array.from({ length: n }, (_, i) => i).join(',');
  const grid = (n: number) =>
    'name: a\nmodels: [lenet-300-100, resnet-8]\npretrainings: [{ name: p, kind: none }]\n' +
    `tasks: [mnist, fashion-mnist]\nseeds: [${seeds(n)}]\n`;
  assert.equal(expandCampaign(parseCampaign(grid(2500))).length, 10_000, 'the limit itself is allowed');
  assert.deepEqual(issuesOf(grid(2501)), [
    'seeds: models x pretrainings x tasks x seeds is 2 x 1 x 2 x 2501 = 10004 experiments; at most 10000',
  ]);
  assert.deepEqual(issuesOf(`${head}seeds: [${seeds(10_001)}]\n`), ['seeds: at most 10000 seeds']);
  assert.deepEqual(issuesOf(`${head}seeds: [${seeds(1_400_000)}]\n`), [
    '(file): the campaign is 10088986 characters; at most 1048576',
  ]);
});
