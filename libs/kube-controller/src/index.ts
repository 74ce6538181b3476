export { CampaignController, type CampaignControllerOptions, type CampaignObject } from './campaign-controller';
export { WorkQueue } from './work-queue';
export { startLeaderElection } from './leader-election';
export { k8s, type K8s } from './k8s';
