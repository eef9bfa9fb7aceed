// Fault injection for chaos tests: matching requests answer `status` instead of being
// served, with the JSON error body GCS would send for that status — the next `times` of
// them, or (with `probability`) that share of them, until `times` are used or forever.
import { GcsJsonError } from './errors';

export interface Fault {
  /** Case-insensitive HTTP method; any method when absent. */
  method?: string;
  /** Substring of the request URL as sent (path and query, still percent-encoded); any URL when absent. */
  pathIncludes?: string;
  status: number;
  /** Uses before the fault is spent; absent = never spent (only with `probability`). */
  times?: number;
  /** Share of matching requests the fault applies to (0 < p ≤ 1); absent = every one. */
  probability?: number;
}

export class FaultInjector {
  private readonly pending: Fault[] = [];
  private readonly used = new Map<number, number>();

  /** `random` decides probabilistic faults (tests and seeded chaos runs pass their own). */
  constructor(private readonly random: () => number = Math.random) {}

  add(fault: Fault): void {
    if (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599) {
      throw new RangeError(`fault status must be an HTTP status, got ${fault.status}`);
    }
    if (fault.times === undefined ? fault.probability === undefined : !Number.isInteger(fault.times) || fault.times < 1) {
      throw new RangeError(`fault times must be a positive integer (absent only with a probability), got ${fault.times}`);
    }
    if (fault.probability !== undefined && !(fault.probability > 0 && fault.probability <= 1)) {
      throw new RangeError(`fault probability must be in (0, 1], got ${fault.probability}`);
    }
    this.pending.push({ ...fault });
  }

  /** Removes every pending fault. */
  clear(): void {
    this.pending.length = 0;
  }

  /** Faults answered so far, by status. */
  counts(): Record<number, number> {
    return Object.fromEntries(this.used);
  }

  /** Consumes one use of the first matching fault that applies and returns the error to answer with. */
  take(method: string, url: string): GcsJsonError | undefined {
    const index = this.pending.findIndex(
      (f) =>
        (f.method === undefined || f.method.toUpperCase() === method.toUpperCase()) &&
        (f.pathIncludes === undefined || url.includes(f.pathIncludes)) &&
        (f.probability === undefined || this.random() < f.probability),
    );
    if (index < 0) return undefined;
    const fault = this.pending[index]!;
    if (fault.times !== undefined) {
      fault.times -= 1;
      if (fault.times === 0) this.pending.splice(index, 1);
    }
    this.used.set(fault.status, (this.used.get(fault.status) ?? 0) + 1);
    return new GcsJsonError(fault.status, reasonFor(fault.status), `Injected fault: HTTP ${fault.status}`);
  }
}

function reasonFor(status: number): string {
  if (status === 429) return 'rateLimitExceeded';
  if (status >= 500) return 'backendError';
  return 'injectedFault';
}
