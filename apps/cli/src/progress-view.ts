import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { densityAfter, describeBranch, type Experiment, type Task } from '@lth/core';
import type { CampaignEvent } from '@lth/local';

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
/** An accuracy, or `-` where a round has none (a contrastive pre-training's tickets). */
const score = (x: number | null) => (x === null ? '-' : x.toFixed(4));

function label(e: Experiment): string {
  const s = e.settings;
  return `${e.id.slice(0, 8)} ${s.model} ${s.pretraining.name}->${s.task} seed ${s.seed}`;
}

/** A task as a line of the log names it. */
function taskLabel(task: Task): string {
  switch (task.kind) {
    case 'pretraining':
      return `pre-training ${task.pretraining.name}`;
    case 'round':
      return `${label(task.experiment)}: round ${task.round}`;
    case 'branch':
      return `${label(task.run.experiment)}: ${describeBranch(task.run)}`;
  }
}

/**
 * Live progress: on a terminal, one bar per experiment (round, sparsity, accuracy, fine-tuning
 * steps); elsewhere (CI, logs), one line per finished round.
 */
export class ProgressView {
  private readonly multibar?: MultiBar;
  private readonly bars = new Map<string, SingleBar>();
  private readonly state = new Map<string, { round: number; sparsity: number; accuracy: string; phase: string }>();

  constructor(
    experiments: readonly Experiment[],
    private readonly lastRound: number,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {
    if (out.isTTY) {
      this.multibar = new MultiBar(
        {
          format: '{label} | round {round}/{rounds} | sparsity {sparsity} | acc {accuracy} | {bar} {phase} {ips}',
          hideCursor: true,
          clearOnComplete: false,
          stream: out,
          barsize: 20,
        },
        Presets.shades_classic,
      );
      for (const e of experiments) {
        this.state.set(e.id, { round: 0, sparsity: 0, accuracy: '-', phase: 'waiting' });
        this.bars.set(
          e.id,
          this.multibar.create(1, 0, {
            label: label(e),
            round: 0,
            rounds: lastRound,
            sparsity: pct(0),
            accuracy: '-',
            phase: 'waiting',
            ips: '',
          }),
        );
      }
    }
  }

  /** A line that is not about one experiment (a service restarted), printed above the bars. */
  notice(text: string): void {
    this.line(text);
  }

  private line(text: string): void {
    if (this.multibar) this.multibar.log(text + '\n');
    else this.out.write(text + '\n');
  }

  handle(event: CampaignEvent): void {
    switch (event.type) {
      case 'task-started': {
        const { task } = event;
        if (task.kind === 'pretraining') {
          this.line(`pre-training ${task.pretraining.name} (${task.pretraining.model}) ...`);
          break;
        }
        if (task.kind === 'branch') break; // said when it finishes: branches run beside the rounds
        const st = this.state.get(task.experiment.id);
        if (st) st.round = task.round;
        // The round trains at the sparsity the ladder gives it.
        const sparsity = 1 - densityAfter(task.round, task.experiment.settings.pruning.rate);
        this.bars.get(task.experiment.id)?.update(0, { round: task.round, sparsity: pct(sparsity), accuracy: '-' });
        break;
      }
      case 'pretraining-finished': {
        const { pretraining, record } = event;
        const how = event.skipped ? 'found in the store' : `done in ${record.trainSeconds.toFixed(1)} s`;
        const accuracy = record.testAccuracy !== null ? `, test accuracy ${record.testAccuracy.toFixed(4)}` : '';
        this.line(`pre-training ${pretraining.name} (${pretraining.model}) ${how}${accuracy}`);
        break;
      }
      case 'phase':
      case 'progress': {
        if (event.task.kind !== 'round') return;
        const id = event.task.experiment.id;
        const bar = this.bars.get(id);
        const st = this.state.get(id);
        if (!bar || !st) return;
        if (event.type === 'phase') {
          st.phase = event.phase;
          bar.update({ phase: event.phase, round: event.task.round });
        } else {
          bar.setTotal(event.totalSteps);
          bar.update(event.step, {
            ips: `${Math.round(event.imagesPerSecond)} img/s`,
            phase: `finetune loss ${event.loss.toFixed(3)}`,
          });
        }
        break;
      }
      case 'round-finished': {
        const r = event.record;
        const how = event.skipped ? ' (done before)' : ` in ${r.trainSeconds.toFixed(1)} s`;
        const scored = `sparsity ${pct(r.sparsity)} test accuracy ${score(r.testAccuracy)}`;
        const text = `${label(event.experiment)}: round ${r.round}/${this.lastRound} ${scored}${how}`;
        const bar = this.bars.get(event.experiment.id);
        if (bar)
          bar.update({
            round: r.round,
            sparsity: pct(r.sparsity),
            accuracy: score(r.testAccuracy),
            phase: 'done',
            ips: '',
          });
        else this.line(text);
        break;
      }
      case 'branch-finished': {
        const r = event.record;
        const how = event.skipped ? ' (done before)' : ` in ${r.trainSeconds.toFixed(1)} s`;
        const scored = `sparsity ${pct(r.sparsity)} test accuracy ${r.testAccuracy.toFixed(4)}`;
        this.line(`${label(event.run.experiment)}: ${describeBranch(event.run)}: ${scored}${how}`);
        break;
      }
      case 'retrying': {
        const what = taskLabel(event.task);
        const delay = (event.delayMs / 1000).toFixed(1);
        this.line(`${what}: ${event.service} service unavailable (${event.reason}); calling again in ${delay} s`);
        break;
      }
      case 'task-failed': {
        const what = taskLabel(event.task);
        this.line(`${what} failed (attempt ${event.attempt}${event.willRetry ? ', retrying' : ''}): ${event.error}`);
        break;
      }
      case 'experiment-failed':
        this.line(`${label(event.experiment)}: FAILED: ${event.error}`);
        break;
      case 'record-corrupt':
        this.line(`warning: ${event.error}; ${event.ref} runs again`);
        break;
    }
  }

  stop(): void {
    this.multibar?.stop();
  }
}
