/**
 * Faults the Zoom mock injects on request: HTTP errors (429 with Retry-After, 5xx) on
 * any path, files that are not ready yet (404/409), downloads cut off mid-body (the
 * connection is destroyed after N bytes, as when a worker or Zoom crashes mid-transfer),
 * and downloads held mid-body while a test acts (e.g. kills the downloading process).
 * Each rule applies to the next `times` matching requests; `taken` counts what was applied.
 */

export interface HttpFault {
  /** Substring of the request path and query (`/v2/…?from=…`); any request when absent. */
  pathIncludes?: string;
  status: number;
  times: number;
  retryAfterSeconds?: number;
}

export interface NotReadyFault {
  /** Substring of the file path (e.g. a recording id); every file when absent. */
  pathIncludes?: string;
  status?: 404 | 409;
  times: number;
}

export interface TruncateFault {
  pathIncludes?: string;
  afterBytes: number;
  times: number;
}

export interface HoldFault {
  pathIncludes?: string;
  /** The body pauses once this many bytes are sent… */
  afterBytes: number;
  times: number;
  /** …until this settles; then it goes on if the client is still there. */
  onHold: (download: { path: string; sent: number; bytes: number }) => Promise<void>;
}

/** How many requests each kind of fault was applied to (HTTP faults by status). */
export interface FaultsTaken {
  http: Record<string, number>;
  notReady: number;
  truncate: number;
  hold: number;
}

export class ZoomFaults {
  private readonly http: HttpFault[] = [];
  private readonly notReady: NotReadyFault[] = [];
  private readonly truncate: TruncateFault[] = [];
  private readonly hold: HoldFault[] = [];
  readonly taken: FaultsTaken = { http: {}, notReady: 0, truncate: 0, hold: 0 };
  /** Files answer 404 until this long after their event was produced (Zoom's processing lag). */
  notReadyForMs = 0;

  failHttp(fault: HttpFault): void {
    this.http.push({ ...fault });
  }
  fileNotReady(fault: NotReadyFault): void {
    this.notReady.push({ ...fault });
  }
  truncateDownload(fault: TruncateFault): void {
    this.truncate.push({ ...fault });
  }
  holdDownload(fault: HoldFault): void {
    this.hold.push({ ...fault });
  }
  clear(): void {
    this.http.length = 0;
    this.notReady.length = 0;
    this.truncate.length = 0;
    this.hold.length = 0;
    this.notReadyForMs = 0;
  }

  takeHttp(path: string): HttpFault | undefined {
    const fault = take(this.http, path);
    if (fault) this.taken.http[String(fault.status)] = (this.taken.http[String(fault.status)] ?? 0) + 1;
    return fault;
  }
  takeNotReady(path: string): NotReadyFault | undefined {
    const fault = take(this.notReady, path);
    if (fault) this.taken.notReady++;
    return fault;
  }
  takeTruncate(path: string): TruncateFault | undefined {
    const fault = take(this.truncate, path);
    if (fault) this.taken.truncate++;
    return fault;
  }
  takeHold(path: string): HoldFault | undefined {
    const fault = take(this.hold, path);
    if (fault) this.taken.hold++;
    return fault;
  }
}

function take<T extends { pathIncludes?: string; times: number }>(rules: T[], path: string): T | undefined {
  const i = rules.findIndex((r) => r.pathIncludes === undefined || path.includes(r.pathIncludes));
  if (i < 0) return undefined;
  const rule = rules[i]!;
  rule.times -= 1;
  if (rule.times <= 0) rules.splice(i, 1);
  return rule;
}
