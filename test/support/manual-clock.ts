/**
 * A clock tests move by hand, for code that takes `now()` and `after(ms, run)` (the Zoom
 * stand-in's webhook deliveries) or cancellable timers `set`/`clear` (the Pub/Sub stand-in's
 * leases and back-off): what falls due runs in time order as the clock advances.
 */
import type { DeliveryClock } from '../../local/mocks/zoom/webhooks';
import type { RuntimeTimers, TimerHandle } from '../../local/pubsub/subscription-runtime';

interface Task {
  at: number;
  run: () => void;
}

export class ManualClock implements DeliveryClock, RuntimeTimers {
  private t: number;
  private tasks: Task[] = [];
  private waiters: Array<{ count: number; resolve: () => void }> = [];
  readonly start: number;
  constructor(start = Date.parse('2026-11-21T10:00:00Z')) {
    this.t = start;
    this.start = start;
  }
  now(): number {
    return this.t;
  }
  after(ms: number, run: () => void): void {
    this.set(run, ms);
  }
  set(run: () => void, ms: number): TimerHandle {
    const task: Task = { at: this.t + ms, run };
    this.tasks.push(task);
    for (const w of this.waiters.filter((w) => this.tasks.length >= w.count)) w.resolve();
    this.waiters = this.waiters.filter((w) => this.tasks.length < w.count);
    return task;
  }
  clear(handle: TimerHandle | undefined): void {
    this.tasks = this.tasks.filter((task) => task !== handle);
  }
  /** Resolves once `count` tasks wait on this clock. */
  whenPending(count: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.tasks.length >= count) resolve();
      else this.waiters.push({ count, resolve });
    });
  }
  pending(): number {
    return this.tasks.length;
  }
  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      const due = this.tasks.filter((task) => task.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.tasks = this.tasks.filter((task) => task !== due);
      this.t = due.at;
      due.run();
    }
    this.t = until;
  }
}
