import type { ServiceAddresses } from '@lth/core';
import {
  dataClient,
  evaluationClient,
  fineTuneClient,
  openChannel,
  pruningClient,
  type DataClient,
  type EvaluationClient,
  type FineTuneClient,
  type PruningClient,
} from '@lth/grpc-kit';

export interface ServiceClients {
  data: DataClient;
  pruning: PruningClient;
  finetune: FineTuneClient;
  evaluation: EvaluationClient;
  close(): void;
}

export function connect(addresses: ServiceAddresses): ServiceClients {
  const channels = {
    data: openChannel(addresses.data),
    pruning: openChannel(addresses.pruning),
    finetune: openChannel(addresses.finetune),
    evaluation: openChannel(addresses.evaluation),
  };
  return {
    data: dataClient(channels.data),
    pruning: pruningClient(channels.pruning),
    finetune: fineTuneClient(channels.finetune),
    evaluation: evaluationClient(channels.evaluation),
    close: () => Object.values(channels).forEach((c) => c.close()),
  };
}
