/** The epoch a training reports under `selection: best-validation`, and its validation accuracy. */
export interface SelectedEpoch {
  epoch: number;
  validationAccuracy: number;
}

/**
 * Whether an epoch's validation accuracy replaces the selection so far: only a strictly better one does,
 * so ties keep the earlier epoch (fewer steps, the same score).
 */
export function improvesSelection(selected: SelectedEpoch | undefined, validationAccuracy: number): boolean {
  return selected === undefined || validationAccuracy > selected.validationAccuracy;
}
