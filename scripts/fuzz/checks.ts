/**
 * The fuzz run's verdicts: on each answer (status, error body), on what the stand-ins hold
 * afterwards (every write and message attributed to the case whose marker it carries), and
 * on the stack's log lines (no configured secret or issued token, no unmasked phone number
 * or email that a request carried).
 */
import type { DocumentWrite } from '../../local/firestore';
import { PLATFORM_REFUSAL_HEADER } from '../../local/gateway';
import { normalisePhone } from '../../shared/phone';
import { type Effect, MARKER_PATTERN, type Step, type StepResult } from './case';
import type { LogLine } from './stack-client';
import type { ObservedWrites, PulledMessage, StoredObject } from './stack-protocol';

export interface Violation {
  caseIndex: number;
  /** Step of the case, when one step is to blame. */
  step?: number;
  generator: string;
  endpoint: string;
  kind:
    | 'server-error'
    | 'no-answer'
    | 'accepted-hostile'
    | 'refused-valid'
    | 'status'
    | 'error-body'
    | 'stack-trace'
    | 'changed'
    | 'write'
    | 'message'
    | 'object'
    | 'log-secret'
    | 'log-pii'
    | 'crash';
  detail: string;
  proves?: string;
}

const isSuccess = (status: number | undefined) => status !== undefined && status >= 200 && status < 400;

/** Node's own traces and paths: an answer must never carry them. */
const STACK_TRACE = /\n\s+at .+:\d+:\d+\)?|node_modules\/|\bat (?:JSON\.parse|Object\.|async )/;

/**
 * A body the server refuses for its size (413) may end in a closed connection instead of the
 * answer: RFC 9110 §15.5.14 lets the server close it, and a client still writing then sees
 * EPIPE/ECONNRESET before it reads the 413. Accepted only for a step that expects exactly that
 * refusal; what it left behind is still checked by the store and log checks.
 */
function closedWhileSendingTooMuch(step: Step, result: StepResult): boolean {
  const status = step.expect.status;
  return (
    step.expect.outcome === 'rejected' &&
    status !== undefined &&
    status.length > 0 &&
    status.every((s) => s === 413) &&
    /\b(EPIPE|ECONNRESET)\b/.test(result.error ?? '')
  );
}

/** Problems with one answer, in words; empty when it is as expected. */
export function checkAnswer(step: Step, result: StepResult, previous: readonly StepResult[]): Array<{ kind: Violation['kind']; detail: string }> {
  const problems: Array<{ kind: Violation['kind']; detail: string }> = [];
  const { expect } = step;
  const status = result.status;
  const excerpt = () => result.body.toString('utf8').slice(0, 160).replace(/\s+/g, ' ');
  if (status === undefined) {
    if (expect.outcome !== 'cut' && !closedWhileSendingTooMuch(step, result)) problems.push({ kind: 'no-answer', detail: result.error ?? 'no answer' });
    return problems;
  }
  if (status >= 500) problems.push({ kind: 'server-error', detail: `answered ${status}: ${excerpt()}` });
  if (expect.outcome === 'rejected' && status < 400)
    problems.push({ kind: 'accepted-hostile', detail: `answered ${status}, expected a refusal: ${excerpt()}` });
  if (expect.outcome === 'accepted' && !isSuccess(status)) problems.push({ kind: 'refused-valid', detail: `answered ${status}: ${excerpt()}` });
  if (expect.status && !expect.status.includes(status) && status < 500)
    problems.push({ kind: 'status', detail: `answered ${status}, expected ${expect.status.join(' or ')}: ${excerpt()}` });
  // Cloud Run's invoker check (played by the local gateway) refuses in its own HTML, as in production.
  const platformRefusal = result.headers[PLATFORM_REFUSAL_HEADER] !== undefined;
  if (status >= 400 && status < 500 && step.request.method !== 'HEAD' && !platformRefusal) {
    const shape = errorBodyProblem(result, expect.errorShape ?? 'contract');
    if (shape) problems.push({ kind: 'error-body', detail: `${status} ${shape}` });
  }
  if (STACK_TRACE.test(result.body.toString('utf8')))
    problems.push({ kind: 'stack-trace', detail: `the answer carries a stack trace or a file path: ${excerpt()}` });
  if (expect.sameBodyAs !== undefined) {
    const before = previous[expect.sameBodyAs];
    if (before && !before.body.equals(result.body)) {
      problems.push({
        kind: 'changed',
        detail: `reads differently after a refused write: before ${before.body.toString('utf8').slice(0, 120)} / after ${excerpt()}`,
      });
    }
  }
  return problems;
}

/** Why a 4xx body does not name its problem, or undefined when it does. */
export function errorBodyProblem(result: StepResult, shape: 'contract' | 'oauth' | 'protocol'): string | undefined {
  const type = String(result.headers['content-type'] ?? '');
  // Node's HTTP parser refuses broken messages with a bare status line before any application code runs.
  if (shape === 'protocol' && result.body.length === 0 && type === '') return undefined;
  if (!type.includes('json')) return `body is not JSON (content-type ${type || 'none'}): ${result.body.toString('utf8').slice(0, 100).replace(/\s+/g, ' ')}`;
  let value: unknown;
  try {
    value = JSON.parse(result.body.toString('utf8'));
  } catch {
    return 'body is not valid JSON';
  }
  const o = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const text = (k: string) => typeof o[k] === 'string' && (o[k] as string).trim().length > 0;
  if (shape === 'oauth') return text('error') && text('error_description') ? undefined : 'OAuth error body lacks error/error_description';
  if (!text('code')) return 'error body has no code';
  if (!text('message')) return 'error body has no message';
  return undefined;
}

// ---- writes ------------------------------------------------------------------------------

export interface CaseRecord {
  index: number;
  generator: string;
  steps: Array<{ step: Step; result: StepResult }>;
}

export interface StoreEvidence {
  writes: ObservedWrites;
  messages: PulledMessage[];
  objects: StoredObject[];
  /** Collections every request may write to by design (the crm mock's journal). */
  journaled: Record<string, { allowed: number }>;
}

const markersIn = (text: string): number[] => [...text.matchAll(MARKER_PATTERN)].map((m) => Number(m[2]));
const collectionOf = (path: string) => {
  const parts = path.split('/documents/')[1]?.split('/') ?? [];
  return parts.length >= 2 ? parts[parts.length - 2]! : '(unknown)';
};
const docIdOf = (path: string) => path.split('/').pop() ?? path;

/** Every write, message and object must belong to an accepted step that declared it, in the declared number. */
export function checkStores(cases: Map<number, CaseRecord>, seed: number, evidence: StoreEvidence): Violation[] {
  const violations: Violation[] = [];
  const describe = (c: CaseRecord) => c.steps.map((s, i) => `step ${i}: ${s.result.status ?? 'no answer'}`).join(', ');
  const endpointOf = (c: CaseRecord) => c.steps[0]?.step.endpoint ?? '(none)';

  // What each case was allowed to leave behind: declared effects of its accepted steps.
  const declared = new Map<
    number,
    { docs: Map<string, Extract<Effect, { store: 'firestore' }>>; markers: Map<string, number>; messages: Map<string, number> }
  >();
  const unmarkedAllowance = new Map<string, number>();
  for (const c of cases.values()) {
    const docs = new Map<string, Extract<Effect, { store: 'firestore' }>>();
    const markers = new Map<string, number>();
    const messages = new Map<string, number>();
    for (const { step, result } of c.steps) {
      if (!isSuccess(result.status)) continue;
      for (const e of step.expect.effects ?? []) {
        if (e.store === 'firestore') docs.set(e.collection, e);
        else if (e.store === 'firestore-markers') {
          markers.set(e.collection, (markers.get(e.collection) ?? 0) + e.atMost);
          // A marker is first claimed without the case's data (a pending claim), then completed.
          unmarkedAllowance.set(e.collection, (unmarkedAllowance.get(e.collection) ?? 0) + e.atMost);
        } else if (e.store === 'pubsub') messages.set(e.topic, (messages.get(e.topic) ?? 0) + e.count);
        else unmarkedAllowance.set(e.collection, (unmarkedAllowance.get(e.collection) ?? 0) + e.atMost);
      }
    }
    declared.set(c.index, { docs, markers, messages });
  }

  // Firestore: the last state of every document each case touched, and the documents no marker names.
  const touched = new Map<number, Map<string, { collection: string; last: DocumentWrite }>>();
  const unmarked = new Map<string, Set<string>>();
  for (const w of evidence.writes.writes) {
    const found = new Set(markersIn(`${w.path} ${JSON.stringify(w.fields)}`).filter((i) => cases.has(i)));
    const collection = collectionOf(w.path);
    if (found.size === 0) {
      const set = unmarked.get(collection) ?? new Set<string>();
      set.add(w.path);
      unmarked.set(collection, set);
      continue;
    }
    for (const index of found) {
      const map = touched.get(index) ?? new Map();
      map.set(w.path, { collection, last: w });
      touched.set(index, map);
    }
  }
  for (const [index, docs] of touched) {
    const c = cases.get(index)!;
    const { docs: allowed, markers } = declared.get(index)!;
    for (const [path, { collection, last }] of docs) {
      if (!allowed.has(collection) && !markers.has(collection)) {
        violations.push({
          caseIndex: index,
          generator: c.generator,
          endpoint: endpointOf(c),
          kind: 'write',
          detail: `${last.kind} of ${collection}/${docIdOf(path)}, which no accepted step of the case may write (${describe(c)})`,
        });
      }
    }
  }
  for (const c of cases.values()) {
    for (const [collection, atMost] of declared.get(c.index)!.markers) {
      const live = [...(touched.get(c.index)?.values() ?? [])].filter((d) => d.collection === collection && d.last.kind !== 'delete');
      if (live.length > atMost) {
        violations.push({
          caseIndex: c.index,
          generator: c.generator,
          endpoint: endpointOf(c),
          kind: 'write',
          detail: `${live.length} markers in ${collection} at the end, at most ${atMost} expected (${describe(c)})`,
        });
      }
    }
    for (const [collection, effect] of declared.get(c.index)!.docs) {
      const live = [...(touched.get(c.index)?.values() ?? [])].filter((d) => d.collection === collection && d.last.kind !== 'delete');
      if (live.length !== effect.count) {
        violations.push({
          caseIndex: c.index,
          generator: c.generator,
          endpoint: endpointOf(c),
          kind: 'write',
          detail: `${live.length} documents in ${collection} at the end, expected ${effect.count} (${describe(c)})`,
        });
      }
      for (const d of live) {
        const problem = effect.check?.(d.last.fields);
        if (problem)
          violations.push({
            caseIndex: c.index,
            generator: c.generator,
            endpoint: endpointOf(c),
            kind: 'write',
            detail: `${collection}/${docIdOf(d.last.path)}: ${problem}`,
          });
      }
    }
  }
  for (const [collection, paths] of unmarked) {
    const allowance = unmarkedAllowance.get(collection) ?? 0;
    if (paths.size > allowance) {
      violations.push({
        caseIndex: -1,
        generator: '(unattributed)',
        endpoint: '(none)',
        kind: 'write',
        detail:
          `${paths.size} documents written in ${collection} carry no case marker (allowed: ${allowance}), ` +
          `e.g. ${[...paths].slice(0, 3).map(docIdOf).join(', ')}`,
      });
    }
  }
  for (const [collection, { allowed }] of Object.entries(evidence.journaled)) {
    const created = evidence.writes.counted[collection]?.created ?? 0;
    if (created > allowed) {
      violations.push({
        caseIndex: -1,
        generator: '(journal)',
        endpoint: '(none)',
        kind: 'write',
        detail: `${created} entries in ${collection}, more than the ${allowed} requests that may be journaled`,
      });
    }
  }

  // Pub/Sub: every message is some accepted step's, in the declared number.
  const published = new Map<number, Map<string, number>>();
  for (const m of evidence.messages) {
    const found = new Set(markersIn(`${m.data} ${JSON.stringify(m.attributes)}`).filter((i) => cases.has(i)));
    if (found.size === 0) {
      violations.push({
        caseIndex: -1,
        generator: '(unattributed)',
        endpoint: '(none)',
        kind: 'message',
        detail: `a message on ${m.topic} carries no case marker: ${m.data.slice(0, 120)}`,
      });
      continue;
    }
    for (const index of found) {
      const map = published.get(index) ?? new Map<string, number>();
      map.set(m.topic, (map.get(m.topic) ?? 0) + 1);
      published.set(index, map);
    }
  }
  for (const c of cases.values()) {
    const expected = declared.get(c.index)!.messages;
    const got = published.get(c.index) ?? new Map<string, number>();
    for (const topic of new Set([...expected.keys(), ...got.keys()])) {
      const e = expected.get(topic) ?? 0;
      const g = got.get(topic) ?? 0;
      if (e !== g)
        violations.push({
          caseIndex: c.index,
          generator: c.generator,
          endpoint: endpointOf(c),
          kind: 'message',
          detail: `${g} messages on ${topic}, expected ${e} (${describe(c)})`,
        });
    }
  }

  // Cloud Storage: no fuzz request may store an object.
  for (const o of evidence.objects) {
    const index = markersIn(o.name)[0] ?? -1;
    const c = cases.get(index);
    violations.push({
      caseIndex: index,
      generator: c?.generator ?? '(unattributed)',
      endpoint: c ? endpointOf(c) : '(none)',
      kind: 'object',
      detail: `object gs://${o.bucket}/${o.name} (${o.size} bytes) was stored`,
    });
  }
  void seed;
  return violations;
}

// ---- logs ---------------------------------------------------------------------------------

export interface LogNeedles {
  /** Configured secret values (and issued tokens): never in a log line, in any case. */
  secrets: Map<string, string>;
  /** Phone numbers as sent, by case. */
  phones: Array<{ text: string; caseIndex: number }>;
  /** Emails as sent, by case. */
  emails: Array<{ text: string; caseIndex: number }>;
}

const EMAIL_IN_LOG = /[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const JWT_IN_LOG = /eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/g;
/** HMAC tokens in base64url (artifact links): 43 characters standing alone. */
const HMAC_IN_LOG = /(?<![\w-])[\w-]{43}(?![\w-])/g;
const DIGIT_RUN = /\d[\d\s().+-]*\d/g;

/**
 * Secrets: plain substring search (a handful of values). Issued tokens and PII: candidates
 * are extracted from each line (JWT-shaped strings, email-shaped strings, runs of digits)
 * and looked up, so thousands of sent values cost one pass over the logs.
 */
export function checkLogs(lines: readonly LogLine[], needles: LogNeedles, tokens: Map<string, number>): Violation[] {
  const violations: Violation[] = [];
  const digitNeedles = new Map<string, number>();
  for (const p of needles.phones) {
    const e164 = normalisePhone(p.text.replace(/^tel:/i, ''), { defaultCountry: 'US' });
    for (const form of [e164?.slice(1), e164?.replace(/^\+1/, '')]) if (form && form.length >= 10) digitNeedles.set(form, p.caseIndex);
  }
  const emailNeedles = new Map(needles.emails.map((e) => [e.text.toLowerCase(), e.caseIndex]));
  const lengths = [...new Set([...digitNeedles.keys()].map((k) => k.length))];
  const seen = new Set<string>();
  const report = (v: Violation) => {
    const key = `${v.kind}|${v.detail}`;
    if (seen.has(key)) return;
    seen.add(key);
    violations.push(v);
  };
  for (const line of lines) {
    const text = line.text;
    for (const [name, value] of needles.secrets) {
      if (text.includes(value))
        report({
          caseIndex: -1,
          generator: '(logs)',
          endpoint: '(logs)',
          kind: 'log-secret',
          detail: `${name} appears in a ${line.stream} line: ${redact(text, value)}`,
        });
    }
    for (const m of [...text.matchAll(JWT_IN_LOG), ...text.matchAll(HMAC_IN_LOG)]) {
      const index = tokens.get(m[0]);
      if (index !== undefined)
        report({
          caseIndex: index,
          generator: '(logs)',
          endpoint: '(logs)',
          kind: 'log-secret',
          detail: `an issued token appears in a ${line.stream} line: ${redact(text, m[0])}`,
        });
    }
    const reportPii = (caseIndex: number, what: string) =>
      report({
        caseIndex,
        generator: '(logs)',
        endpoint: '(logs)',
        kind: 'log-pii',
        detail: `${what} appears unmasked in a ${line.stream} line: ${text.slice(0, 300)}`,
      });
    for (const m of text.matchAll(EMAIL_IN_LOG)) {
      const candidate = decodeURIComponentSafe(m[0]).toLowerCase();
      const index = emailNeedles.get(candidate);
      if (index !== undefined) reportPii(index, 'an email');
    }
    for (const m of text.matchAll(DIGIT_RUN)) {
      const digits = m[0].replace(/\D/g, '');
      for (const len of lengths) {
        for (let i = 0; i + len <= digits.length; i++) {
          const index = digitNeedles.get(digits.slice(i, i + len));
          if (index !== undefined) reportPii(index, 'a phone number');
        }
      }
    }
  }
  return violations;
}

function redact(line: string, value: string): string {
  return line.split(value).join('<SECRET>').slice(0, 300);
}

function decodeURIComponentSafe(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}
