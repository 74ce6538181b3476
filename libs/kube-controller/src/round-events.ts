/** What happened to a campaign's rounds since it was last told: one line per round or task. */
export interface RoundNews {
  finished: string[];
  started: string[];
}

/**
 * Round progress Events, at most one per campaign per interval: the rounds that finished and the
 * tasks that started meanwhile are told together in the next one. A busy campaign finishes rounds
 * every second; an Event for each would be a third of the controller's API writes and bury
 * `kubectl describe`. client-go's recorder limits Events the same way (its EventCorrelator
 * combines similar Events about one object and rate-limits them per object). The first news after
 * a quiet interval is told at once.
 */
export class RoundEvents<Target> {
  /** When each campaign was last told. */
  private readonly told = new Map<string, number>();
  private readonly pending = new Map<string, { target: Target; news: RoundNews; timer: NodeJS.Timeout }>();

  constructor(
    private readonly intervalMs: number,
    private readonly tell: (target: Target, news: RoundNews) => Promise<void>,
  ) {}

  /** News about one campaign (`key`); `target` is what the Event will be about, the newest wins. */
  async add(key: string, target: Target, news: RoundNews): Promise<void> {
    if (news.finished.length === 0 && news.started.length === 0) return;
    const waiting = this.pending.get(key);
    if (waiting) {
      waiting.target = target;
      waiting.news.finished.push(...news.finished);
      waiting.news.started.push(...news.started);
      return;
    }
    const wait = (this.told.get(key) ?? -Infinity) + this.intervalMs - Date.now();
    if (wait <= 0) return this.send(key, target, news);
    const timer = setTimeout(() => void this.flushOne(key), wait);
    this.pending.set(key, { target, news: { finished: [...news.finished], started: [...news.started] }, timer });
  }

  /** The campaign is gone: nothing more is told about it. */
  forget(key: string): void {
    clearTimeout(this.pending.get(key)?.timer);
    this.pending.delete(key);
    this.told.delete(key);
  }

  /** Tells everything still waiting (the controller is stopping). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending.keys()].map((key) => this.flushOne(key)));
  }

  private async flushOne(key: string): Promise<void> {
    const waiting = this.pending.get(key);
    if (!waiting) return;
    clearTimeout(waiting.timer);
    this.pending.delete(key);
    await this.send(key, waiting.target, waiting.news);
  }

  private async send(key: string, target: Target, news: RoundNews): Promise<void> {
    this.told.set(key, Date.now());
    await this.tell(target, news);
  }
}
