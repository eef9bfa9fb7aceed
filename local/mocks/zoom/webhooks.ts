/**
 * How the Zoom stand-in sends webhooks: signed like Zoom (`x-zm-signature: v0=HMAC-SHA256(secret,
 * "v0:<ts>:<body>")`), with Zoom's delivery behaviour (docs/contracts/zoom.md#delivery: a 3 s
 * answer limit; 3 retries, 5, 20 and 60 minutes apart, only after an answer ≥ 500 or a
 * timeout/connection error — a 3xx/4xx ends the delivery) and the faults Zoom exhibits:
 * dropped, duplicated, delayed and reordered deliveries.
 */
import { createHmac } from 'node:crypto';
import { seededRandom } from './model';

export interface ZoomEnvelope {
  event: string;
  event_ts: number;
  payload: { account_id: string; object: Record<string, unknown> } | Record<string, unknown>;
}

export interface DeliveryOptions {
  /** Probability that an event is never sent. */
  drop?: number;
  /** Probability that an event is sent twice (the copy with new download tokens). */
  duplicate?: number;
  /** Probability and range of an extra delay before an event is sent. */
  delay?: { probability: number; minMs: number; maxMs: number };
  /** Shuffle events within windows of this many events (1 or absent = keep order). */
  reorderWindow?: number;
  /** Events in flight at once. */
  concurrency?: number;
  /** Paces first deliveries to this many events per second (in order; delays and retries come on top); absent = as fast as `concurrency` allows. */
  ratePerSecond?: number;
  /** Waits before Zoom's 3 retries: 5 min after the first attempt, 20 after the first retry, 60 after the second; tests compress them. */
  retryDelaysMs?: number[];
  /** Re-sign each retry with a fresh timestamp (default) or repeat the first attempt's bytes and headers (whether Zoom re-signs is unconfirmed). */
  retrySigning?: 'fresh' | 'repeat';
  /** Zoom gives up on an answer after 3 s. */
  timeoutMs?: number;
  seed?: string;
  /** The clock of delays, pacing, duplicates, retries and signing times (default: the process's). */
  clock?: DeliveryClock;
}

export interface DeliveryClock {
  now(): number;
  /** Runs `run` once `ms` have passed on this clock. */
  after(ms: number, run: () => void): void;
}

const processClock: DeliveryClock = { now: () => Date.now(), after: (ms, run) => void setTimeout(run, ms) };

export interface DeliveryReport {
  events: number;
  dropped: number;
  duplicatesSent: number;
  /** Events sent late (after the extra delay), which also puts them out of order. */
  delayed: number;
  /** HTTP requests made, retries included. */
  requests: number;
  acknowledged: number;
  /** Events never acknowledged after every retry. */
  givenUp: number;
  /** Events whose delivery ended on a 3xx/4xx answer (Zoom does not retry those). */
  refused: number;
  statuses: Record<string, number>;
}

export interface WebhookTarget {
  url: string;
  secret: string;
}

export function signBody(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** Whether Zoom sends a delivery again after this answer (0 = its timeout or a connection error). */
export function zoomRetriesAfter(status: number): boolean {
  return status === 0 || status >= 500;
}

export const ZOOM_RETRY_DELAYS_MS = [300_000, 1_200_000, 3_600_000] as const;

export async function postSigned(
  target: WebhookTarget,
  body: string,
  options: { timeoutMs?: number; timestamp?: number; signature?: string } = {},
): Promise<{ status: number; text: string }> {
  const ts = options.timestamp ?? Math.floor(Date.now() / 1000);
  try {
    const res = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'x-zm-request-timestamp': String(ts),
        'x-zm-signature': options.signature ?? signBody(target.secret, ts, body),
        'user-agent': 'Zoom Marketplace/1.0a',
      },
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 3000),
    });
    return { status: res.status, text: await res.text() };
  } catch {
    return { status: 0, text: 'timeout or connection error' };
  }
}

export async function deliverEvents(
  target: WebhookTarget,
  events: ZoomEnvelope[],
  options: DeliveryOptions,
  refreshTokens: (e: ZoomEnvelope) => ZoomEnvelope,
): Promise<DeliveryReport> {
  const rnd = seededRandom(options.seed ?? 'deliveries');
  const clock = options.clock ?? processClock;
  const order = events.map((e, i) => ({ e, i }));
  const window = Math.max(options.reorderWindow ?? 1, 1);
  for (let start = 0; start < order.length; start += window) {
    for (let i = Math.min(start + window, order.length) - 1; i > start; i--) {
      const j = start + Math.floor(rnd() * (i - start + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  }
  const report: DeliveryReport = {
    events: events.length,
    dropped: 0,
    duplicatesSent: 0,
    delayed: 0,
    requests: 0,
    acknowledged: 0,
    givenUp: 0,
    refused: 0,
    statuses: {},
  };
  // A duplicate is re-sent 1.1–1.5 s after the original went out: a separate delivery,
  // signed at a later second (an identical request would be a replay).
  const sends: Array<{ e: ZoomEnvelope; delayMs: number; duplicateAfterMs?: number }> = [];
  for (const { e } of order) {
    if (rnd() < (options.drop ?? 0)) {
      report.dropped++;
      continue;
    }
    const delayMs = options.delay && rnd() < options.delay.probability ? options.delay.minMs + rnd() * (options.delay.maxMs - options.delay.minMs) : 0;
    if (delayMs > 0) report.delayed++;
    if (rnd() < (options.duplicate ?? 0)) {
      report.duplicatesSent++;
      sends.push({ e, delayMs, duplicateAfterMs: 1100 + rnd() * 400 });
    } else sends.push({ e, delayMs });
  }
  const retryDelays = options.retryDelaysMs ?? [...ZOOM_RETRY_DELAYS_MS];
  // A delayed send, and a retry, wait on a timer of its own rather than in one of the
  // `concurrency` slots: a late event must not hold up the ones behind it.
  type Send = { e: ZoomEnvelope; counts: boolean; attempt: number; duplicateAfterMs?: number | undefined; firstTimestamp?: number };
  const ready: Send[] = [];
  let timers = 0;
  let busy = 0;
  let waiters: Array<() => void> = [];
  const wakeAll = () => {
    const woken = waiters;
    waiters = [];
    for (const w of woken) w();
  };
  const later = (send: Send, ms: number) => {
    timers++;
    clock.after(ms, () => {
      timers--;
      ready.push(send);
      wakeAll();
    });
  };
  const rate = options.ratePerSecond !== undefined && options.ratePerSecond > 0 ? options.ratePerSecond : undefined;
  sends.forEach((s, i) => {
    const send: Send = { e: s.e, counts: true, attempt: 0, duplicateAfterMs: s.duplicateAfterMs };
    const at = (rate ? (i * 1000) / rate : 0) + s.delayMs;
    if (at > 0) later(send, at);
    else ready.push(send);
  });
  const attemptOne = async (s: Send) => {
    report.requests++;
    if (s.attempt === 0 && s.duplicateAfterMs !== undefined) later({ e: refreshTokens(s.e), counts: false, attempt: 0 }, s.duplicateAfterMs);
    const timestamp = options.retrySigning === 'repeat' && s.firstTimestamp !== undefined ? s.firstTimestamp : Math.floor(clock.now() / 1000);
    const { status } = await postSigned(target, JSON.stringify(s.e), { timeoutMs: options.timeoutMs ?? 3000, timestamp });
    report.statuses[String(status)] = (report.statuses[String(status)] ?? 0) + 1;
    if (status >= 200 && status < 300) {
      if (s.counts) report.acknowledged++;
    } else if (!zoomRetriesAfter(status)) {
      if (s.counts) report.refused++;
    } else if (s.attempt < retryDelays.length) later({ ...s, attempt: s.attempt + 1, firstTimestamp: s.firstTimestamp ?? timestamp }, retryDelays[s.attempt]!);
    else if (s.counts) report.givenUp++;
  };
  const workers = Array.from({ length: Math.max(options.concurrency ?? 8, 1) }, async () => {
    for (;;) {
      const s = ready.shift();
      if (s) {
        busy++;
        await attemptOne(s).finally(() => busy--);
        if (ready.length === 0 && timers === 0 && busy === 0) wakeAll();
        continue;
      }
      if (timers === 0 && busy === 0) return;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  });
  await Promise.all(workers);
  return report;
}
