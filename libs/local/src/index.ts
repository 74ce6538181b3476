export { runCampaign, type CampaignRunOptions, type CampaignOutcome } from './run-campaign';
export type { CampaignEvent } from './campaign-events';
export { type Executor, PermanentTaskError } from './executor';
export { ChildProcessExecutor } from './child-process-executor';
export {
  startLocalServices,
  type LocalServices,
  type LocalServicesOptions,
  type ServiceRestart,
} from './local-services';
export type { Program, Programs } from './program';
export { LocalCampaignView, observeCampaign } from './campaign-metrics-observer';
