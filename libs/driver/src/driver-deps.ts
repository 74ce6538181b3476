import type { ArtifactStore } from '@lth/store';
import type { DriverEvent } from './driver-events';
import type { ServiceClients } from './service-clients';

/** What the driver works with: the shared store, the four services, and where it reports. */
export interface DriverDeps {
  store: ArtifactStore;
  clients: ServiceClients;
  emit: (event: DriverEvent) => void;
  signal?: AbortSignal;
}
