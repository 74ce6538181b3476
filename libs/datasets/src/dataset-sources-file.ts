import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { datasetSourcesSchema, InvalidArgumentError, quote, type DatasetSource } from '@lth/core';

/** A registry file is small; anything larger is not one. */
const MAX_REGISTRY_BYTES = 1024 * 1024;

/**
 * The `datasets:` list of a YAML file: the data service's registry file on a cluster volume, or a
 * campaign file (whose `datasets:` section has the same shape). Relative paths are taken from the
 * file's own directory. A wrong entry is an error naming the file and the field.
 */
export async function readDatasetSources(path: string): Promise<DatasetSource[]> {
  const text = await readFile(path, 'utf8');
  if (text.length > MAX_REGISTRY_BYTES)
    throw new InvalidArgumentError(`${quote(path)} is too large for a dataset list`);
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new InvalidArgumentError(`${quote(path)} is not YAML (${String((e as Error).message).split('\n')[0]})`);
  }
  const list = (doc as { datasets?: unknown } | null)?.datasets ?? [];
  const parsed = datasetSourcesSchema.safeParse(list);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const [index, ...field] = issue.path;
    const where = `datasets[${String(index)}]${field.map((f) => `.${String(f)}`).join('')}`;
    throw new InvalidArgumentError(`${quote(path)}: ${where}: ${issue.message}`);
  }
  const base = dirname(resolve(path));
  return parsed.data.map((d) => ({ ...d, path: isAbsolute(d.path) ? d.path : resolve(base, d.path) }));
}
