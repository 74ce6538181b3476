/** Runs cleanups in order; each runs even when one before it throws; the first error is rethrown. */
export function cleanUp(...steps: (() => void)[]): void {
  let first: unknown;
  for (const step of steps) {
    try {
      step();
    } catch (e) {
      first ??= e;
    }
  }
  if (first !== undefined) throw first;
}
