import { createHash } from 'node:crypto';

/** JSON with keys sorted at every level: the one text a setting has, whatever its key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/**
 * Removes every field whose value equals its default, recursively, so that adding a new
 * defaulted setting later never changes the identity of existing runs (open_lth's Desc).
 */
export function withoutDefaults(value: unknown, defaults: unknown): unknown {
  if (deepEqual(value, defaults)) return undefined;
  if (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    defaults !== null &&
    typeof defaults === 'object' &&
    !Array.isArray(defaults)
  ) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const stripped = withoutDefaults(v, (defaults as Record<string, unknown>)[key]);
      if (stripped !== undefined) out[key] = stripped;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** A short, stable identity for a settings object: sha256 of its canonical JSON, 16 hex digits. */
export function settingsId(value: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(value ?? {}))
    .digest('hex')
    .slice(0, 16);
}
