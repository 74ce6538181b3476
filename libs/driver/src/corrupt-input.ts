import { ClientError, GrpcStatus } from '@lth/grpc-kit';
import { ArtifactCorruptError, type ArtifactStore } from '@lth/store';

const DIGEST = /sha256:[0-9a-f]{64}/;

/** A task's input was corrupt; the task that produced it has been withdrawn so that it runs again. */
export class CorruptInputError extends Error {
  readonly kind = 'data-loss';
}

/** The digest an error says is corrupt: a read here, or a service's DATA_LOSS naming it. */
function corruptDigest(error: unknown): string | undefined {
  if (error instanceof ArtifactCorruptError) return error.digest;
  if (error instanceof ClientError && error.code === GrpcStatus.DATA_LOSS) return DIGEST.exec(error.details)?.[0];
  return undefined;
}

/**
 * What a task reads, by digest, with the task that produced each (by its record's ref). When an
 * input proves corrupt, the producer's ref is removed: the store no longer says it finished, so
 * the planner runs it again, and recomputing writes the bytes back (put replaces corrupt objects).
 */
export class InputProducers {
  private readonly producers = new Map<string, { ref: string; what: string }>();

  add(digest: string, ref: string, what: string): void {
    if (digest) this.producers.set(digest, { ref, what });
  }

  /** The error to throw for `error`: a CorruptInputError once its producer is withdrawn, else itself. */
  async withdraw(error: unknown, store: ArtifactStore): Promise<unknown> {
    const digest = corruptDigest(error);
    const producer = digest === undefined ? undefined : this.producers.get(digest);
    if (!producer) return error;
    await store.removeRef(producer.ref);
    return new CorruptInputError(
      `${producer.what} left ${digest}, which is corrupt: its record is withdrawn and it runs again ` +
        '(lth run the campaign again, or let the controller retry)',
    );
  }
}
