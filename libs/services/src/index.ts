export { serve, type ServiceKind, type ServeOptions, type ServingService } from './serve';
export { serviceMain, type ListeningLine } from './service-main';
export { createServiceMetrics, type ServiceMetrics } from './service-metrics';
export {
  exportTicket,
  WEIGHTS_FILE,
  type ExportedTicket,
  type LayersModelFiles,
  type TicketSource,
} from './ticket-export';
