import { test } from 'node:test';
import assert from 'node:assert/strict';
import { optimizerSchema } from '../spec/campaign-schema';
import { learningRateAt } from './learning-rate';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

test('step schedule: gamma at each milestone epoch passed, after a linear warm-up', () => {
  const opt = optimizerSchema.parse({ learningRate: 0.1, milestones: [91, 136], gamma: 0.1, warmupSteps: 4 });
  close(learningRateAt(opt, { step: 0, epoch: 0, totalSteps: 1000 }), 0.025);
  close(learningRateAt(opt, { step: 3, epoch: 0, totalSteps: 1000 }), 0.1);
  close(learningRateAt(opt, { step: 500, epoch: 90, totalSteps: 1000 }), 0.1);
  close(learningRateAt(opt, { step: 501, epoch: 91, totalSteps: 1000 }), 0.01);
  close(learningRateAt(opt, { step: 900, epoch: 136, totalSteps: 1000 }), 0.001);
});

test('cosine schedule: from the learning rate after the warm-up to zero at the last step', () => {
  const opt = optimizerSchema.parse({ learningRate: 0.2, warmupSteps: 10, schedule: 'cosine' });
  close(learningRateAt(opt, { step: 4, epoch: 0, totalSteps: 110 }), 0.1);
  close(learningRateAt(opt, { step: 10, epoch: 0, totalSteps: 110 }), 0.2);
  close(learningRateAt(opt, { step: 60, epoch: 3, totalSteps: 110 }), 0.1);
  close(learningRateAt(opt, { step: 110, epoch: 5, totalSteps: 110 }), 0);
  // Monotone after the warm-up.
  let last = Infinity;
  for (let step = 10; step <= 110; step++) {
    const lr = learningRateAt(opt, { step, epoch: 0, totalSteps: 110 });
    assert.ok(lr <= last);
    last = lr;
  }
});

test('milestones belong to the step schedule: with cosine they are refused, naming the field', () => {
  const parsed = optimizerSchema.safeParse({ schedule: 'cosine', milestones: [10] });
  assert.equal(parsed.success, false);
  assert.deepEqual(parsed.error!.issues[0]!.path, ['milestones']);
});
