import { RE2JS, RE2JSSyntaxException } from 're2js';

/** Longest exclude pattern a campaign or a pruning request may carry. */
export const NAME_PATTERN_MAX_LENGTH = 256;
/** Most exclude patterns one pruning policy may carry. */
export const NAME_PATTERNS_MAX = 64;

/**
 * Exclude patterns are regular expressions over weight names, matched by RE2's algorithm
 * (re2js, pure JavaScript): time linear in the name, whatever the pattern. A backtracking
 * engine (`RegExp`) lets a 100-byte pattern hold the pruning service for seconds.
 * RE2 syntax is Perl's without backreferences and lookaround.
 */
export interface NamePattern {
  test(name: string): boolean;
}

const compiled = new Map<string, NamePattern>();

/** Why a pattern is refused, or undefined when it compiles. Never echoes more than a bounded prefix. */
export function namePatternError(pattern: string): string | undefined {
  if (pattern.length > NAME_PATTERN_MAX_LENGTH) return `is longer than ${NAME_PATTERN_MAX_LENGTH} characters`;
  try {
    compileNamePattern(pattern);
    return undefined;
  } catch (err) {
    if (err instanceof RE2JSSyntaxException) return `is not a valid RE2 regular expression (${syntaxReason(err)})`;
    throw err;
  }
}

export function compileNamePattern(pattern: string): NamePattern {
  let p = compiled.get(pattern);
  if (!p) {
    const re = RE2JS.compile(pattern);
    p = { test: (name) => re.matcher(name).find() };
    if (compiled.size >= 1024) compiled.clear();
    compiled.set(pattern, p);
  }
  return p;
}

/** re2js appends the offending fragment after a colon; the reason alone is enough and bounded. */
function syntaxReason(err: RE2JSSyntaxException): string {
  const message = err.message.replace(/^error parsing regexp: /, '');
  const colon = message.indexOf(':');
  return (colon < 0 ? message : message.slice(0, colon)).slice(0, 80);
}
