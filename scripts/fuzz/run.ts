/**
 * One fuzz run: start the stack in its own process, send the generated cases (a few at a
 * time, each case's steps in order), check every answer as it comes, then check what the
 * stand-ins hold, the stack's health and its log lines. `npm run fuzz` and the integration
 * test both call `runFuzz`.
 */
import { REFUSAL_REASONS } from '../../functions/zoom-webhook/refusals';
import { CATEGORIES, type Category, type FuzzCase, markerOf, type StepResult } from './case';
import { type CaseRecord, checkAnswer, checkLogs, checkStores, type LogNeedles, type Violation } from './checks';
import { allGenerators } from './generators';
import { type FuzzTarget, type Generator, invokerHeaders } from './generators/types';
import { createRng } from './rng';
import { startStackProcess, type StackProcess } from './stack-client';
import { createTransport } from './transport';

export interface FuzzOptions {
  /** At least this many requests are sent (cases are whole, so a few more may be). */
  requests: number;
  seed: number;
  /** Cases in flight at once. */
  concurrency?: number;
  /** Replay one case alone (its index from a report). */
  caseIndex?: number;
  /** Only generators whose name starts with one of these (e.g. "crm/"). */
  only?: string[];
  onProgress?: (sent: number, total: number) => void;
}

export interface EndpointRow {
  endpoint: string;
  requests: number;
  byClass: Record<StatusClass, number>;
  violations: number;
}

export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx' | 'none';

export interface FuzzReport {
  seed: number;
  requests: number;
  cases: number;
  durationMs: number;
  rows: EndpointRow[];
  byCategory: Record<Category, number>;
  violations: Violation[];
  logLines: number;
}

/** Writes every authenticated contract request makes in mock mode by design: the crm mock's journal (see README). */
const JOURNAL_COLLECTION = 'crmMockJournal';
/**
 * Writes a refused zoom-webhook delivery makes by design: its record for the operators
 * (functions/zoom-webhook/refusals.ts) — at most one detailed entry per refused delivery, plus
 * one counter per hour and reason (a run spans at most two hours).
 */
const REFUSALS_COLLECTION = 'zoomWebhookRefusals';
const REFUSAL_COUNTERS_AT_MOST = 2 * REFUSAL_REASONS.length;

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const generators = allGenerators.filter((g) => !options.only || options.only.some((p) => g.name.startsWith(p)));
  if (generators.length === 0) throw new Error(`no generator matches ${options.only?.join(', ')}`);
  const stack = await startStackProcess();
  try {
    return await fuzzStack(stack, generators, options, started);
  } finally {
    await stack.stop();
  }
}

async function fuzzStack(stack: StackProcess, generators: Generator[], options: FuzzOptions, started: number): Promise<FuzzReport> {
  await stack.call({ command: 'prepare', countOnly: [JOURNAL_COLLECTION, REFUSALS_COLLECTION] });
  const target: FuzzTarget = {
    seed: options.seed,
    credentials: stack.ready.credentials,
    env: stack.ready.env,
    mintOidc: (input) => stack.call({ command: 'mint', ...input }),
    mintIap: (input) => stack.call({ command: 'mint', iap: true, ...input }),
    mintIdToken: (input) => stack.call({ command: 'mint-id-token', ...input }),
  };
  const transport = createTransport(stack.ready.gatewayUrl);
  const cases = new Map<number, CaseRecord>();
  const violations: Violation[] = [];
  const rows = new Map<string, EndpointRow>();
  const byCategory = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;
  const tokens = new Map<string, number>();
  const phones: LogNeedles['phones'] = [];
  const emails: LogNeedles['emails'] = [];
  let sent = 0;
  let planned = 0;
  let nextIndex = options.caseIndex ?? 0;
  let crmRequests = 0;
  let refusedDeliveries = 0;

  const planNext = (): FuzzCase | undefined => {
    if (options.caseIndex !== undefined) {
      if (planned > 0) return undefined;
    } else if (planned >= options.requests) return undefined;
    const index = nextIndex++;
    const rng = createRng(options.seed, index);
    const generator = rng.weighted(generators.map((g) => [g, g.weight] as const));
    const marker = markerOf(options.seed, index);
    const steps = generator.build({ index, rng, marker, target });
    planned += steps.length;
    return { index, marker, generator: generator.name, steps };
  };

  const runCase = async (fuzzCase: FuzzCase) => {
    const record: CaseRecord = { index: fuzzCase.index, generator: fuzzCase.generator, steps: [] };
    cases.set(fuzzCase.index, record);
    const results: StepResult[] = [];
    for (const [n, build] of fuzzCase.steps.entries()) {
      const step = await build(results);
      const result = await transport.send(step.request);
      results.push(result);
      record.steps.push({ step, result });
      sent++;
      options.onProgress?.(sent, options.caseIndex !== undefined ? planned : options.requests);
      // A request that failed authentication is counted by the mock, never journaled.
      if (step.endpoint.startsWith('crm ') && result.status !== 401) crmRequests++;
      // Any refused request to zoom-webhook (the generic generators reach its POST / too) may be recorded once.
      if (step.endpoint.startsWith('zoom-webhook ') && (result.status === undefined || result.status >= 400)) refusedDeliveries++;
      byCategory[step.category]++;
      const row = rows.get(step.endpoint) ?? {
        endpoint: step.endpoint,
        requests: 0,
        byClass: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, none: 0 },
        violations: 0,
      };
      row.requests++;
      row.byClass[statusClass(result.status)]++;
      rows.set(step.endpoint, row);
      for (const text of step.pii ?? []) (text.includes('@') ? emails : phones).push({ text, caseIndex: fuzzCase.index });
      for (const c of step.credentials ?? []) tokens.set(c, fuzzCase.index);
      for (const c of issuedCredentials(result)) tokens.set(c, fuzzCase.index);
      for (const p of checkAnswer(step, result, results.slice(0, -1))) {
        violations.push({
          caseIndex: fuzzCase.index,
          step: n,
          generator: fuzzCase.generator,
          endpoint: step.endpoint,
          kind: p.kind,
          detail: p.detail,
          proves: step.proves,
        });
      }
    }
  };

  const workers = Array.from({ length: options.concurrency ?? 8 }, async () => {
    for (let c = planNext(); c; c = planNext()) await runCase(c);
  });
  await Promise.all(workers);

  // The stack must still be up and answering.
  const crashed = stack.exited();
  if (crashed)
    violations.push({ caseIndex: -1, generator: '(stack)', endpoint: '(stack)', kind: 'crash', detail: `the stack process ended during the run (${crashed})` });
  else {
    for (const path of ['/', ...Object.keys(stack.ready.functions).map((f) => `/${f}/`)]) {
      const fn = path.slice(1, -1);
      // The IAM-protected functions answer their health check only to an invoker, as behind Cloud Run.
      const headers = fn ? await invokerHeaders({ index: -1, rng: createRng(0), marker: '', target }, fn) : {};
      const health = await transport.send({ transport: 'http', method: 'GET', path, headers });
      if (health.status !== 200)
        violations.push({
          caseIndex: -1,
          generator: '(stack)',
          endpoint: `GET ${path}`,
          kind: 'crash',
          detail: `health check answered ${health.status ?? health.error}`,
        });
    }
  }
  transport.close();

  if (!crashed) {
    const [messages, writes, objects] = [
      await stack.call({ command: 'pull' }),
      await stack.call({ command: 'writes' }),
      await stack.call({ command: 'objects' }),
    ];
    violations.push(
      ...checkStores(cases, options.seed, {
        writes,
        messages,
        objects,
        journaled: { [JOURNAL_COLLECTION]: { allowed: crmRequests }, [REFUSALS_COLLECTION]: { allowed: refusedDeliveries + REFUSAL_COUNTERS_AT_MOST } },
      }),
    );
  }
  // Let the last lines reach the pipes before reading them.
  await new Promise((r) => setTimeout(r, 200));
  const secrets = configuredSecrets(stack.ready.env);
  // The local credentials are in the env too; listed again so a credential added there is never missed.
  for (const [name, value] of Object.entries(stack.ready.credentials))
    if (/Secret|Token|Password|ApiKey/.test(name) && value.length >= 8) secrets.set(`local.json ${name}`, value);
  violations.push(...checkLogs(stack.logs, { secrets, phones, emails }, tokens));

  for (const v of violations) {
    const row = rows.get(v.endpoint);
    if (row) row.violations++;
  }
  return {
    seed: options.seed,
    requests: sent,
    cases: cases.size,
    durationMs: Date.now() - started,
    rows: [...rows.values()].sort((a, b) => a.endpoint.localeCompare(b.endpoint)),
    byCategory,
    violations,
    logLines: stack.logs.length,
  };
}

function statusClass(status: number | undefined): StatusClass {
  if (status === undefined || status < 200) return 'none';
  if (status < 300) return '2xx';
  if (status < 400) return '3xx';
  if (status < 500) return '4xx';
  return '5xx';
}

/** Tokens an answer hands out (register-app JWTs, OAuth access tokens): never to be logged either. */
function issuedCredentials(result: StepResult): string[] {
  if (!String(result.headers['content-type'] ?? '').includes('json')) return [];
  try {
    const body = JSON.parse(result.body.toString('utf8')) as Record<string, unknown>;
    return ['token', 'access_token'].map((k) => body[k]).filter((v): v is string => typeof v === 'string' && v.length >= 16);
  } catch {
    return [];
  }
}

/**
 * Every secret the functions were configured with, by setting name: the values of
 * secret-named settings (lists split), each line of a PEM key, and the Basic credential the
 * crm accepts in its encoded form.
 */
export function configuredSecrets(env: Record<string, string | undefined>): Map<string, string> {
  const secrets = new Map<string, string>();
  for (const [key, value] of Object.entries(env)) {
    if (!value || !/(SECRET|TOKEN|PASSWORD|PRIVATE_KEY|API_KEY)(_PREVIOUS)?$/.test(key)) continue;
    if (value.includes('-----BEGIN')) {
      for (const [i, line] of value.split('\n').entries()) if (line.length >= 40 && !line.startsWith('-----')) secrets.set(`${key} (line ${i})`, line);
      continue;
    }
    for (const [i, part] of value.split(',').entries()) if (part.trim().length >= 8) secrets.set(i === 0 ? key : `${key}[${i}]`, part.trim());
  }
  const user = env['CRM_BASIC_USER'];
  const password = env['CRM_BASIC_PASSWORD'];
  if (user && password) secrets.set('CRM_BASIC_USER:CRM_BASIC_PASSWORD (Basic)', Buffer.from(`${user}:${password}`).toString('base64'));
  return secrets;
}
