/**
 * Who is told when a function refuses a request: a function that must keep a record of what
 * it refused (zoom-webhook: "refused and why" for the operators) attaches an observer to its
 * handler. Both layers that refuse call it — `createHttpApp` (the function's own errors) and
 * the Functions Framework guard (./framework-errors: bodies too large, encodings, JSON that
 * does not parse) — with what was answered, never the raw bytes. An observer that fails is
 * logged and never changes the answer; one that is slow delays it by at most
 * REFUSAL_OBSERVER_WAIT_MS.
 */
import type { ErrorCode } from '../errors';
import type { Logger } from '../logging';
import { sleep } from '../sleep';

export interface RefusalNotice {
  /** framework: refused before the function ran (./framework-errors); function: by createHttpApp or a route. */
  stage: 'framework' | 'function';
  method: string;
  /** Path inside the function. */
  path: string;
  status: number;
  code: ErrorCode;
  /** The answer's message (ours: never quotes the request). */
  message: string;
  /** The body as the Framework parsed it (JSON object or form), when it did; undefined otherwise. */
  parsedBody: unknown;
}

export type RefusalObserver = (notice: RefusalNotice) => Promise<void> | void;

const OBSERVER = Symbol.for('ccbridge.refusalObserver');

/** Attaches an observer to a handler, where the entry, the local gateway and createHttpApp read it. */
export function withRefusalObserver<F extends object>(handler: F, observer: RefusalObserver | undefined): F {
  if (observer === undefined) return handler;
  return Object.assign(handler, { [OBSERVER]: observer });
}

export function refusalObserverOf(handler: unknown): RefusalObserver | undefined {
  return (handler as { [OBSERVER]?: RefusalObserver } | null | undefined)?.[OBSERVER];
}

/**
 * How long a refusal's answer waits for its observer. The observer usually writes to Firestore
 * within the request (so the write runs while the instance has CPU); a slow or unreachable
 * Firestore must not hold the refused caller — nor, in a flood, every refused connection — for
 * the client library's own deadline (60 s): after this wait the answer goes out and the
 * observer finishes, or fails and is logged, on its own.
 */
export const REFUSAL_OBSERVER_WAIT_MS = 1_000;

/** Tells the observer, waiting for it at most `waitMs`; its failure is logged, never thrown. */
export async function notifyRefusal(
  observer: RefusalObserver | undefined,
  notice: RefusalNotice,
  log: Logger,
  options: { waitMs?: number; sleep?: (ms: number, signal?: AbortSignal) => Promise<void> } = {},
): Promise<void> {
  if (!observer) return;
  const told = Promise.resolve()
    .then(() => observer(notice))
    .then(
      () => 'told' as const,
      (err: unknown) => {
        log.warn('refusal observer failed', { err, status: notice.status, code: notice.code });
        return 'told' as const;
      },
    );
  const stop = new AbortController();
  const waited = (options.sleep ?? sleep)(options.waitMs ?? REFUSAL_OBSERVER_WAIT_MS, stop.signal).then(
    () => 'waited' as const,
    () => 'told' as const,
  );
  const first = await Promise.race([told, waited]);
  stop.abort();
  if (first === 'waited') log.warn('refusal answered before its record was written', { status: notice.status, code: notice.code });
}
