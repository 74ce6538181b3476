/** The most of one user value a message repeats: enough to recognise it, never the whole of a huge one. */
export const QUOTE_MAX = 64;

/**
 * A user's value inside a message: JSON-quoted (control characters escaped), cut to its first
 * QUOTE_MAX characters with its full length said when longer. Every message that echoes input
 * goes through this, so a 100 MB field makes a short error, not a 100 MB one.
 */
export function quote(value: unknown): string {
  const text = String(value);
  if (text.length <= QUOTE_MAX) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, QUOTE_MAX))}... (${text.length} characters)`;
}
