import { resolve } from 'node:path';
import { importTorchCheckpoint, listed } from '@lth/driver';
import { ArtifactStore, defaultStoreRoot, putWeights, writeFileAtomically } from '@lth/store';

export interface WeightsImportFlags {
  arch: string;
  prefix?: string;
  keepHead?: boolean;
  store?: string;
  out?: string;
}

/**
 * `lth weights import`: a PyTorch checkpoint of a torchvision ResNet into the store as θ_p. Prints
 * what it read, what it left out and why, and the digest a campaign or a service names it by.
 */
export async function weightsImportCommand(file: string, flags: WeightsImportFlags): Promise<number> {
  const imported = await importTorchCheckpoint(file, {
    arch: flags.arch,
    prefix: flags.prefix ?? '',
    keepHead: flags.keepHead ?? false,
  });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const prefix = imported.prefix
    ? `, prefix "${imported.prefix}" removed (${imported.outsidePrefix} key(s) outside it left alone)`
    : '';
  say(`read the state_dict in ${imported.foundIn === 'the file' ? 'the file' : `"${imported.foundIn}"`}${prefix}`);
  const count = imported.weights.reduce((n, w) => n + w.values.length, 0);
  const stem = imported.stem.kind === 'imagenet' ? 'ImageNet stem (7x7/2, max-pool)' : 'small-image stem (3x3/1)';
  say(
    `${imported.model}: ${stem} on ${imported.stem.channels} channel(s); ` +
      `${imported.weights.length} tensors, ${count.toLocaleString('en-US')} values imported` +
      (flags.keepHead ? ' (classifier kept as the head)' : ''),
  );
  const counters = imported.dropped.filter((k) => k.endsWith('num_batches_tracked')).length;
  const heads = imported.dropped.filter((k) => !k.endsWith('num_batches_tracked'));
  if (heads.length > 0) say(`left out the classifier or projection head: ${listed(heads, 8)}`);
  if (counters > 0) say(`left out ${counters} batch-norm step counters (num_batches_tracked)`);
  if (imported.unexpected.length > 0) {
    const keys = listed(imported.unexpected, 20);
    say(`warning: ${imported.unexpected.length} key(s) are no weight of ${imported.model}: ${keys}`);
  }
  const store = new ArtifactStore(resolve(flags.store ?? defaultStoreRoot()));
  const digest = await putWeights(store, imported.weights);
  if (flags.out) await writeFileAtomically(flags.out, `${digest}\n`);
  say(`θ_p ${digest}${flags.out ? ` (written to ${flags.out})` : ''}`);
  return 0;
}
