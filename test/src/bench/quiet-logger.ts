import { createLogger } from '@lth/grpc-kit';

/** Services in the bench log only warnings, so stdout stays JSON lines. */
export const pino = createLogger('bench', 'warn');
