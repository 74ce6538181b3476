import { test } from 'node:test';
import assert from 'node:assert/strict';
import { branchRunsOf, expandCampaign, lastRound, parseCampaign } from '@lth/core';
import type { PretrainingRecord, RoundRecord } from '../records';
import type { BranchContext } from './branch';
import { transferBranch } from './transfer';

const THETA_P = 'sha256:' + 'a'.repeat(64);
const MASK = 'sha256:' + 'c'.repeat(64);

test("a transfer trains the ticket's mask on θ_p with a fresh head, whatever the source rewinds to", async () => {
  for (const rewind of ['pretrained', 'dense', 'init']) {
    const spec = parseCampaign(
      'name: t\nmodels: [resnet-8]\npretrainings: [{ name: p, kind: supervised, dataset: mnist }]\n' +
        `tasks: [mnist]\nimp: { rounds: 2, rewind: ${rewind} }\ntransfer: { to: [fashion-mnist], rounds: [2] }\n` +
        'finetune: { epochs: 3 }\n',
    );
    const [run] = branchRunsOf(spec, expandCampaign(spec), lastRound(spec));
    const ticket = { maskDigest: MASK, sparsity: 0.36, remainingWeights: 64, prunableWeights: 100 } as RoundRecord;
    const pretrained = { weightsDigest: THETA_P } as PretrainingRecord;
    const start = await transferBranch({ run: run!, ticket, pretrained } as BranchContext);
    assert.equal(run!.task, 'fashion-mnist');
    assert.equal(run!.finetune.epochs, 3, "the campaign's downstream recipe");
    // A fresh head for the target; a fresh stem too wherever θ_p's does not fit the target's images
    // (loadInitialWeights decides, as for every experiment from θ_p).
    assert.deepEqual(start, {
      mask: { maskDigest: MASK, sparsity: 0.36, remainingWeights: 64, prunableWeights: 100 },
      rewindTo: THETA_P,
      freshHead: true,
      seed: 0,
    });
  }
});
