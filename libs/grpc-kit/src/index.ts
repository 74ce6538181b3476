export * as dataV1 from './gen/lth/data/v1/data';
export * as pruningV1 from './gen/lth/pruning/v1/pruning';
export * as finetuneV1 from './gen/lth/finetune/v1/finetune';
export * as evaluationV1 from './gen/lth/evaluation/v1/evaluation';
export { startServer, shutdownOnSignals, type RunningServer, type ServiceBinding } from './server';
export { unary, serverStream, type CallContext, type HandlerOptions } from './handlers';
export { kindOfStatus } from './status';
export { DEADLINES, deadlineIn } from './deadlines';
export {
  dataClient,
  pruningClient,
  fineTuneClient,
  evaluationClient,
  callUnary,
  checkHealth,
  waitUntilServing,
} from './clients';
export { createLogger, type Logger } from './logger';
export { status as GrpcStatus, Metadata, type ServiceError } from '@grpc/grpc-js';
export { splitEnum, splitName, type SplitName } from './split';
