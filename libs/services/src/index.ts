export { serve, parseServiceKind, SERVICE_KINDS, type ServiceKind, type ServeOptions, type ServingService } from './serve';
export { dataService } from './data-service';
export { pruningService, policyFromProto } from './pruning-service';
export { fineTuneService } from './finetune-service';
export { evaluationService } from './evaluation-service';
export { DataFeed } from './data-feed';
export { runService, serviceMain, serviceProgram, type ListeningLine } from './service-main';
export { createServiceMetrics, type ServiceMetrics } from './service-metrics';
