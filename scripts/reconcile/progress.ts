/**
 * Progress of a CLI run: a bar redrawn in place on a terminal, plain lines otherwise (CI
 * logs, pipes). Pages are counted against the plan's estimate, so the bar never claims to be
 * done before the report is.
 */
import type { ProgressEvent } from '../../shared/reconcile/deps';

export interface ProgressSink {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressView {
  onEvent(event: ProgressEvent): void;
  /** A line that must not be drawn over (warnings, errors). */
  note(line: string): void;
  finish(): void;
}

export function createProgress(out: ProgressSink, now: () => number = Date.now): ProgressView {
  const tty = out.isTTY === true;
  let estimated = 0;
  let slices = 0;
  let pages = 0;
  let slicesDone = 0;
  let backfilled = 0;
  let seen = 0;
  let started = now();
  let drawnAt = 0;
  let lastPlainPct = -1;
  let drawn = false;

  const render = (): string => {
    const pct = estimated > 0 ? Math.min(pages / estimated, slicesDone === slices ? 1 : 0.99) : slicesDone === slices ? 1 : 0;
    const width = Math.max(10, Math.min(30, (out.columns ?? 80) - 60));
    const filled = Math.round(pct * width);
    const elapsed = (now() - started) / 1000;
    const eta = pct > 0.02 && pct < 1 ? ` ETA ${Math.max(0, Math.round(elapsed / pct - elapsed))} s` : '';
    return (
      `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(Math.round(pct * 100)).padStart(3)} %  ` +
      `pages ${pages}/~${estimated}  slices ${slicesDone}/${slices}  seen ${seen}  backfilled ${backfilled}${eta}`
    );
  };
  const draw = (force = false) => {
    if (!tty) return;
    if (!force && now() - drawnAt < 100) return;
    drawnAt = now();
    out.write(`\r\x1b[2K${render()}`);
    drawn = true;
  };
  const clear = () => {
    if (tty && drawn) out.write('\r\x1b[2K');
  };

  return {
    onEvent(event) {
      switch (event.kind) {
        case 'planned':
          estimated = event.estimatedPages;
          slices = event.slices;
          started = now();
          if (!tty) out.write(`${event.resumed ? 'resuming' : 'planned'} run ${event.runId}: ${event.slices} slices, ~${event.estimatedPages} pages\n`);
          break;
        case 'page': {
          pages++;
          for (const c of Object.values(event.tally)) {
            seen += c.seen;
            backfilled += c.backfilled;
          }
          const pct = estimated > 0 ? Math.floor((pages / estimated) * 10) : 0;
          if (!tty && pct > lastPlainPct && pct < 10) {
            lastPlainPct = pct;
            out.write(`${render()}\n`);
          }
          break;
        }
        case 'slice':
          slicesDone++;
          if (event.state === 'failed') {
            clear();
            out.write(`slice ${event.slice} failed: ${event.reason ?? 'unknown'}\n`);
          }
          break;
      }
      draw(event.kind !== 'page');
    },
    note(line) {
      clear();
      out.write(`${line}\n`);
      draw(true);
    },
    finish() {
      if (tty) {
        draw(true);
        out.write('\n');
      } else out.write(`${render()}\n`);
    },
  };
}
