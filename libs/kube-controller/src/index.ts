export { CampaignController, type CampaignControllerOptions, type CampaignObject } from './campaign-controller';
export { k8s, type K8s } from './k8s';
