import type { ServiceAddresses } from '@lth/core';
import {
  dataClient,
  evaluationClient,
  fineTuneClient,
  pruningClient,
  type dataV1,
  type evaluationV1,
  type finetuneV1,
  type pruningV1,
} from '@lth/grpc-kit';

export interface ServiceClients {
  data: dataV1.DataServiceClient;
  pruning: pruningV1.PruningServiceClient;
  finetune: finetuneV1.FineTuneServiceClient;
  evaluation: evaluationV1.EvaluationServiceClient;
  close(): void;
}

export function connect(addresses: ServiceAddresses): ServiceClients {
  const clients = {
    data: dataClient(addresses.data),
    pruning: pruningClient(addresses.pruning),
    finetune: fineTuneClient(addresses.finetune),
    evaluation: evaluationClient(addresses.evaluation),
  };
  return { ...clients, close: () => Object.values(clients).forEach((c) => c.close()) };
}
