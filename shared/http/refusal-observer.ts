/**
 * Who is told when a function refuses a request: a function that must keep a record of what
 * it refused (zoom-webhook: "refused and why" for the operators) attaches an observer to its
 * handler. Both layers that refuse call it — `createHttpApp` (the function's own errors) and
 * the Functions Framework guard (./framework-errors: bodies too large, encodings, JSON that
 * does not parse) — with what was answered, never the raw bytes. An observer that fails is
 * logged and never changes the answer.
 */
import type { ErrorCode } from '../errors';
import type { Logger } from '../logging';

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

/** Tells the observer; its failure is logged, never thrown. */
export async function notifyRefusal(observer: RefusalObserver | undefined, notice: RefusalNotice, log: Logger): Promise<void> {
  if (!observer) return;
  try {
    await observer(notice);
  } catch (err) {
    log.warn('refusal observer failed', { err, status: notice.status, code: notice.code });
  }
}
