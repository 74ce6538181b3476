import { Counter, type Registry } from 'prom-client';

/**
 * A counter that mirrors a monotonically increasing number kept elsewhere (bytes a store has
 * read, steps a trainer has taken): at scrape time it adds what the source gained since.
 */
export function syncedCounter(registry: Registry, name: string, help: string, read: () => number): Counter {
  let seen = 0;
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = read();
      if (now > seen) this.inc(now - seen);
      seen = Math.max(seen, now);
    },
  });
}
