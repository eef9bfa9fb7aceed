/**
 * What the fuzz run sends and what each request must prove. A case is a short sequence of
 * steps generated from its own random stream (a replay needs its original first, an
 * idempotency check its first write); every step is one request with an expectation that
 * the checker holds it to. Every value a case sends carries the case's marker
 * (`fz<seed>c<index>`), so anything found written afterwards names the case that wrote it.
 */

export const CATEGORIES = ['valid', 'malformed', 'oversized', 'wrong-type', 'wrong-signature', 'replayed', 'truncated'] as const;
export type Category = (typeof CATEGORIES)[number];

/** A request sent with node:http (a well-formed HTTP message, possibly a hostile body). */
export interface HttpRequestSpec {
  transport: 'http';
  method: string;
  /** Path on the gateway, with the function prefix and query, e.g. "/crm/accounts?x=1". */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/**
 * Bytes written as they are on a fresh socket, for what an HTTP client will not send:
 * truncated bodies, lying Content-Length, broken chunking, malformed request lines.
 * `ending` says how the client leaves: wait for an answer; half-close its side; or cut the
 * connection after `pauseMs` (a client that dies mid-body).
 */
export interface RawRequestSpec {
  transport: 'raw';
  chunks: Buffer[];
  ending: 'wait' | 'half-close' | 'cut';
  pauseMs?: number;
  /** The function and endpoint it is aimed at, for the report (the bytes may not say). */
  method: string;
  path: string;
}

export type RequestSpec = HttpRequestSpec | RawRequestSpec;

/** A write a request is allowed (and required) to make when it is accepted. */
export type Effect =
  | {
      store: 'firestore';
      collection: string;
      /**
       * Exact number of documents holding this case's marker in the collection at the end of
       * the run; the last accepted step that declares the collection sets it (a delete says 0).
       */
      count: number;
      /** Extra rule on each such document (e.g. "an exact replay added no signature"). */
      check?: (doc: Record<string, unknown>) => string | undefined;
    }
  /** Documents that cannot carry a marker (e.g. index documents holding only a hash), at most this many. */
  | { store: 'firestore-unmarked'; collection: string; atMost: number }
  /**
   * Idempotency markers a step may leave, holding the case's data (e.g. the crm function's
   * account-create claims, one per phone/email key): at most this many per accepted step, summed;
   * as many writes without the data (the pending claims) are allowed too.
   */
  | { store: 'firestore-markers'; collection: string; atMost: number }
  /** Messages this step publishes on the topic (summed over the case's accepted steps). */
  | { store: 'pubsub'; topic: string; count: number };

/**
 * - rejected: must be answered 4xx;
 * - accepted: must be answered 2xx/3xx;
 * - handled: anything below 500 (event deliveries may be acknowledged or refused);
 * - cut: the client abandons the request; no answer is fine, an answer must be < 500.
 */
export type Outcome = 'rejected' | 'accepted' | 'handled' | 'cut';

/**
 * Shape a 4xx body must have: the bundle's `{code, message}`; OAuth's `{error,
 * error_description}` (RFC 6749 §5.2, what OAuth clients read); or none for protocol-level
 * refusals written by Node's HTTP parser before any application code (see README).
 */
export type ErrorShape = 'contract' | 'oauth' | 'protocol';

export interface Expectation {
  outcome: Outcome;
  /** When set, the status must be one of these. */
  status?: number[];
  /** Writes an accepted step makes (the case's declared effects are summed over its steps). */
  effects?: Effect[];
  errorShape?: ErrorShape;
  /** The response body must equal that of an earlier step of the case (a read before and after a refused write). */
  sameBodyAs?: number;
}

export interface Step {
  /** Row of the report: "<function> <METHOD> <route>". */
  endpoint: string;
  category: Category;
  /** What this request must prove, in words. */
  proves: string;
  request: RequestSpec;
  expect: Expectation;
  /** Personal data this request carried: it may appear in logs only masked. */
  pii?: string[];
  /** Credentials it carried beyond the configured secrets (issued tokens): never to be logged. */
  credentials?: string[];
}

export interface StepResult {
  status: number | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Set when no complete answer came (connection reset, timeout). */
  error?: string;
  ms: number;
}

/** Builds step n from the results of the steps before it (a token, an id). */
export type StepBuilder = (previous: readonly StepResult[]) => Step | Promise<Step>;

export interface FuzzCase {
  index: number;
  marker: string;
  generator: string;
  steps: StepBuilder[];
}

/** Ends in a letter, so digits written after it cannot change the case number it names. */
export const markerOf = (seed: number, index: number) => `fz${seed}c${index}z`;
/** Finds the markers in any text, e.g. a stored document. */
export const MARKER_PATTERN = /fz(\d+)c(\d+)z/g;
