import { FailedPreconditionError } from '@lth/core';
import type { InputProducers } from './corrupt-input';
import type { DriverDeps } from './driver-deps';

/** A record this round needs; its digest is noted as produced by the task behind `ref`. */
export async function required<T>(
  deps: DriverDeps,
  inputs: InputProducers,
  input: { ref: string; missing: string; producer: string },
): Promise<T> {
  const digest = await deps.store.getRef(input.ref);
  if (!digest) throw new FailedPreconditionError(input.missing);
  inputs.add(digest, input.ref, input.producer);
  return deps.store.getJson<T>(digest);
}
