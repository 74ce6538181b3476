export * as dataV1 from './gen/lth/data/v1/data';
export * as pruningV1 from './gen/lth/pruning/v1/pruning';
export * as finetuneV1 from './gen/lth/finetune/v1/finetune';
export * as evaluationV1 from './gen/lth/evaluation/v1/evaluation';
export {
  FLOW_CONTROL_WINDOW_BYTES,
  startServer,
  shutdownOnSignals,
  type RunningServer,
  type ServiceBinding,
} from './server';
export type { CallOptions } from './call-middleware';
export { kindOfStatus } from './status';
export { DEADLINES } from './deadlines';
export {
  openChannel,
  dataClient,
  pruningClient,
  fineTuneClient,
  evaluationClient,
  checkHealth,
  waitUntilServing,
  type DataClient,
  type PruningClient,
  type FineTuneClient,
  type EvaluationClient,
} from './clients';
export { createLogger, type Logger } from './logger';
export { Status as GrpcStatus, ClientError, type CallContext } from 'nice-grpc';
export { splitEnum, splitName, type SplitName } from './split';
export { onParentGone, PARENT_PIPE_ENV } from './parent-pipe';
export { preEncoded, wireOf, withPreEncodedResponses, type PreEncoded } from './pre-encoded';
