import { test } from 'node:test';
import assert from 'node:assert/strict';
import { improvesSelection, type SelectedEpoch } from './model-selection';

function select(curve: number[]): SelectedEpoch | undefined {
  let selected: SelectedEpoch | undefined;
  curve.forEach((validationAccuracy, epoch) => {
    if (improvesSelection(selected, validationAccuracy)) selected = { epoch, validationAccuracy };
  });
  return selected;
}

test('best-validation picks the best epoch of a scripted curve; ties keep the earlier; a late peak wins', () => {
  assert.deepEqual(select([0.5, 0.7, 0.7, 0.6]), { epoch: 1, validationAccuracy: 0.7 });
  assert.deepEqual(select([0.5, 0.6, 0.65, 0.9]), { epoch: 3, validationAccuracy: 0.9 });
  assert.deepEqual(select([0, 0, 0]), { epoch: 0, validationAccuracy: 0 }, 'a first epoch scoring 0 is still chosen');
  assert.equal(select([]), undefined);
});
