import { InvalidArgumentError } from '@lth/core';
import * as dataV1 from './gen/lth/data/v1/data';

export type SplitName = 'train' | 'validation' | 'test';

const BY_ENUM: Partial<Record<dataV1.Split, SplitName>> = {
  [dataV1.Split.SPLIT_TRAIN]: 'train',
  [dataV1.Split.SPLIT_VALIDATION]: 'validation',
  [dataV1.Split.SPLIT_TEST]: 'test',
};

export function splitName(split: dataV1.Split): SplitName {
  const name = BY_ENUM[split];
  if (!name)
    throw new InvalidArgumentError(`split must be TRAIN, VALIDATION or TEST, got ${dataV1.Split[split] ?? split}`);
  return name;
}

export function splitEnum(name: SplitName): dataV1.Split {
  return { train: dataV1.Split.SPLIT_TRAIN, validation: dataV1.Split.SPLIT_VALIDATION, test: dataV1.Split.SPLIT_TEST }[
    name
  ];
}
