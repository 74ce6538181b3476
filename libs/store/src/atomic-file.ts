import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Where a file is written before it is renamed into place: beside it, named by this host and
 * process, so that a sweep can tell a writer that died (SIGKILL between write and rename) from
 * one still writing, even on a store that several machines share.
 */
export function temporaryPathFor(path: string): string {
  return `${path}.tmp-${HOST}-${process.pid}-${randomBytes(6).toString('hex')}`;
}

const HOST = hostname().replace(/[^A-Za-z0-9.-]/g, '_');
const TEMPORARY = /\.tmp-(.+)-(\d+)-[0-9a-f]{12}$/;
/** A temporary file this old is abandoned whoever wrote it: no write takes a day. */
const ABANDONED_AFTER_MS = 24 * 3600 * 1000;

/** Writes a file outside the store (results.json, say) so that readers never see half of it. */
export async function writeFileAtomically(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = temporaryPathFor(path);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

/**
 * Removes the temporary files in `dir` (and below it, when recursive) that no writer will rename:
 * those of a process of this host that is gone, and any a day old. Returns how many it removed.
 */
export async function sweepTemporaryFiles(dir: string, options: { recursive: boolean; now?: number }): Promise<number> {
  const now = options.now ?? Date.now();
  let entries;
  try {
    entries = await readdir(dir, { recursive: options.recursive, withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  let removed = 0;
  for (const entry of entries) {
    const match = entry.isFile() ? TEMPORARY.exec(entry.name) : null;
    if (!match) continue;
    const path = join(entry.parentPath, entry.name);
    const writerGone = match[1] === HOST && !isAlive(Number(match[2]));
    const abandoned = async () => now - (await stat(path)).mtimeMs > ABANDONED_AFTER_MS;
    try {
      if (writerGone || (await abandoned())) {
        await rm(path, { force: true });
        removed++;
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // renamed or swept meanwhile
    }
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
