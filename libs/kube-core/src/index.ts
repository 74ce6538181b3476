export { campaignCrd, CAMPAIGN_GROUP, CAMPAIGN_VERSION, CAMPAIGN_PLURAL, CAMPAIGN_KIND } from './campaign-crd';
export { CONDITION, REASON, EVENT_REASON, type Condition, type ConditionType } from './conditions';
export {
  campaignStatus,
  invalidStatus,
  withRememberedFailures,
  RETRY_ANNOTATION,
  type CampaignStatus,
  type CampaignStatusInput,
  type ExperimentStatus,
  type FailedTask,
} from './campaign-status';
export {
  taskJob,
  jobState,
  attemptsOfJobs,
  awaitingRecord,
  obsoleteJobs,
  DEFAULT_JOB_SETTINGS,
  DRIVER_PROGRAM,
  DRIVER_CONTAINER,
  LABELS,
  type JobDefaults,
  type JobView,
  type JobState,
  type CampaignRef,
  type TaskJobInput,
} from './task-job';
