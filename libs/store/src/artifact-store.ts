import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { InvalidArgumentError, NotFoundError, quote } from '@lth/core';
import { temporaryPathFor } from './atomic-file';

/** A digest names an artifact: `sha256:` and 64 hex digits. */
export type Digest = string;

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const REF = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

export class ArtifactCorruptError extends Error {
  readonly kind = 'data-loss';
  constructor(
    readonly digest: Digest,
    actual: string,
  ) {
    super(`artifact ${digest} is corrupt: its bytes hash to sha256:${actual}; refusing to use it`);
  }
}

export function digestOf(bytes: Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function checkDigest(value: string, field = 'digest'): Digest {
  if (!DIGEST.test(value))
    throw new InvalidArgumentError(`${field} ${quote(value)} is not a digest (want sha256:<64 hex>)`);
  return value;
}

export interface StoreCounters {
  bytesRead: number;
  bytesWritten: number;
  digestFailures: number;
}

/**
 * Content-addressed storage shared by every service: an artifact's name is the sha256 of its
 * bytes. Writes go to a temporary file that is renamed into place, so a crash never leaves a
 * half-written artifact under a real name; every read re-hashes and refuses corrupt bytes.
 * Refs give stable names (experiment/round) to digests, written the same way.
 */
export class ArtifactStore {
  readonly root: string;
  readonly counters: StoreCounters = { bytesRead: 0, bytesWritten: 0, digestFailures: 0 };

  constructor(root: string) {
    this.root = resolve(root);
  }

  private objectPath(digest: Digest): string {
    const hex = digest.slice('sha256:'.length);
    return join(this.root, 'objects', hex.slice(0, 2), hex.slice(2));
  }

  private refPath(name: string): string {
    if (!REF.test(name) || name.split('/').some((p) => p === '.' || p === '..')) {
      throw new InvalidArgumentError(`ref name ${quote(name)} is not valid`);
    }
    return join(this.root, 'refs', name);
  }

  private async writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const temp = temporaryPathFor(path);
    try {
      const handle = await open(temp, 'w');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
  }

  /**
   * Stores bytes under their digest. An object already there is kept only if its bytes still
   * hash to its name: a corrupt one is replaced (atomically), so recomputing what produced it
   * heals the store.
   */
  async put(bytes: Uint8Array): Promise<Digest> {
    const digest = digestOf(bytes);
    const path = this.objectPath(digest);
    if (!(await this.holdsIntact(path, digest, bytes.length))) {
      await this.writeAtomically(path, bytes);
      this.counters.bytesWritten += bytes.length;
    }
    return digest;
  }

  private async holdsIntact(path: string, digest: Digest, size: number): Promise<boolean> {
    let existing: Buffer;
    try {
      if ((await stat(path)).size !== size) return false;
      existing = await readFile(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    if (digestOf(existing) === digest) return true;
    this.counters.digestFailures++;
    return false;
  }

  async has(digest: Digest): Promise<boolean> {
    return exists(this.objectPath(checkDigest(digest)));
  }

  /** The artifact's bytes, verified against its digest. */
  async get(digest: Digest): Promise<Buffer> {
    const path = this.objectPath(checkDigest(digest));
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new NotFoundError(`artifact ${digest} is not in the store`);
      throw e;
    }
    this.counters.bytesRead += bytes.length;
    const actual = digestOf(bytes);
    if (actual !== digest) {
      this.counters.digestFailures++;
      throw new ArtifactCorruptError(digest, actual.slice('sha256:'.length));
    }
    return bytes;
  }

  async putJson(value: unknown): Promise<Digest> {
    return this.put(Buffer.from(JSON.stringify(value)));
  }

  async getJson<T>(digest: Digest): Promise<T> {
    return JSON.parse((await this.get(digest)).toString('utf8')) as T;
  }

  /** Withdraws a name (what it named turned out corrupt): its producer runs again. */
  async removeRef(name: string): Promise<void> {
    await rm(this.refPath(name), { force: true });
  }

  /** Points a stable name at a digest (atomically; the last writer wins). */
  async setRef(name: string, digest: Digest): Promise<void> {
    await this.writeAtomically(this.refPath(name), Buffer.from(checkDigest(digest) + '\n'));
  }

  async getRef(name: string): Promise<Digest | undefined> {
    try {
      const text = (await readFile(this.refPath(name), 'utf8')).trim();
      return checkDigest(text, `ref ${name}`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** `LTH_STORE`, or `.lth/store` under the working directory. */
export function defaultStoreRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env['LTH_STORE'] ?? join(process.cwd(), '.lth', 'store'));
}
