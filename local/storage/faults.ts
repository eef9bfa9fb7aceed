// Fault injection for chaos tests: the next `times` requests that match answer `status`
// instead of being served, with the JSON error body GCS would send for that status.
import { GcsJsonError } from './errors';

export interface Fault {
  /** Case-insensitive HTTP method; any method when absent. */
  method?: string;
  /** Substring of the request URL as sent (path and query, still percent-encoded); any URL when absent. */
  pathIncludes?: string;
  status: number;
  times: number;
}

export class FaultInjector {
  private readonly pending: Fault[] = [];

  add(fault: Fault): void {
    if (!Number.isInteger(fault.status) || fault.status < 100 || fault.status > 599) {
      throw new RangeError(`fault status must be an HTTP status, got ${fault.status}`);
    }
    if (!Number.isInteger(fault.times) || fault.times < 1) {
      throw new RangeError(`fault times must be a positive integer, got ${fault.times}`);
    }
    this.pending.push({ ...fault });
  }

  /** Consumes one use of the first matching fault and returns the error to answer with. */
  take(method: string, url: string): GcsJsonError | undefined {
    const index = this.pending.findIndex(
      (f) =>
        (f.method === undefined || f.method.toUpperCase() === method.toUpperCase()) &&
        (f.pathIncludes === undefined || url.includes(f.pathIncludes)),
    );
    if (index < 0) return undefined;
    const fault = this.pending[index]!;
    fault.times -= 1;
    if (fault.times === 0) this.pending.splice(index, 1);
    return new GcsJsonError(fault.status, reasonFor(fault.status), `Injected fault: HTTP ${fault.status}`);
  }
}

function reasonFor(status: number): string {
  if (status === 429) return 'rateLimitExceeded';
  if (status >= 500) return 'backendError';
  return 'injectedFault';
}
