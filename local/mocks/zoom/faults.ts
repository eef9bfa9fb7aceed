/**
 * Faults the Zoom mock injects on request: HTTP errors (429 with Retry-After, 5xx) on
 * any path, files that are not ready yet (404/409), and downloads cut off mid-body (the
 * connection is destroyed after N bytes, as when a worker or Zoom crashes mid-transfer).
 * Each rule applies to the next `times` matching requests.
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

export class ZoomFaults {
  private readonly http: HttpFault[] = [];
  private readonly notReady: NotReadyFault[] = [];
  private readonly truncate: TruncateFault[] = [];
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
  clear(): void {
    this.http.length = 0;
    this.notReady.length = 0;
    this.truncate.length = 0;
    this.notReadyForMs = 0;
  }

  takeHttp(path: string): HttpFault | undefined {
    return take(this.http, path);
  }
  takeNotReady(path: string): NotReadyFault | undefined {
    return take(this.notReady, path);
  }
  takeTruncate(path: string): TruncateFault | undefined {
    return take(this.truncate, path);
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
