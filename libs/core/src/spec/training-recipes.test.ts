import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainingSchema } from './campaign-schema';
import { expandCampaign } from './expand-campaign';
import { parseCampaign } from './parse-campaign';
import { TRAINING_RECIPES } from './training-recipes';

const BASE = 'name: c\nmodels: [lenet-300-100]\npretrainings: [{ name: n, kind: none }]\ntasks: [mnist]\n';
const campaign = (finetune: string) => parseCampaign(`${BASE}finetune: ${finetune}\n`);

test('every recipe is a valid training; a campaign starts from it and the fields given beside it win', () => {
  for (const [name, recipe] of Object.entries(TRAINING_RECIPES)) {
    assert.ok(trainingSchema.safeParse(recipe).success, `${name} fits the schema`);
  }
  const cifar = campaign('{ recipe: cifar, epochs: 3, optimizer: { learningRate: 0.05 } }').finetune;
  assert.equal(cifar.epochs, 3);
  assert.equal(cifar.batchSize, 128);
  assert.equal(cifar.optimizer.learningRate, 0.05, 'a nested field given wins');
  assert.equal(cifar.optimizer.weightDecay, 2e-4, "the other nested fields are the recipe's");
  assert.deepEqual(cifar.optimizer.milestones, [91, 136]);
  assert.equal(cifar.selection, 'best-validation');
  assert.equal(cifar.recipe, undefined, 'the name is not kept: only what it set is');
});

test('a recipe is the values it sets: the same experiment as writing them out, another than the defaults', () => {
  const written = campaign(
    '{ epochs: 10, batchSize: 64, selection: best-validation, optimizer: { learningRate: 0.1, momentum: 0.9 } }',
  );
  const id = (c: ReturnType<typeof campaign>) => expandCampaign(c)[0]!.id;
  assert.equal(id(campaign('{ recipe: digits }')), id(written));
  assert.notEqual(id(campaign('{ recipe: digits }')), id(campaign('{}')));
  assert.throws(() => campaign('{ recipe: imagenet-22k }'), /finetune\.recipe/);
});
