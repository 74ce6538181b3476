/** Fixes every dataset's train/validation/test split: the same images in every service and run. */
export const SPLIT_SEED = 20210101;

export const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
