export { runTask, exitCodeOf } from './run-task';
export type { DriverDeps } from './driver-deps';
export { connect, type ServiceClients } from './service-clients';
export { refs, type BranchRecord, type PretrainingRecord, type RoundRecord } from './records';
export { parseDriverEvent, type DriverEvent, type DriverPhase } from './driver-events';
export { finishedRounds, collectResults, StoreProgressCache, type OnCorruptRecord } from './store-progress';
export { importTorchCheckpoint, listed, type TorchImport, type TorchImportOptions } from './import-torch-checkpoint';
export { measureSensitivity, type SensitivityPlan } from './perturbation-sensitivity';
export { ticketStart } from './ticket-start';
