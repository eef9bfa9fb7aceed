/**
 * Scriptable faults of the mock, per contract operation: answer a status (with Retry-After),
 * add latency, corrupt the body, drop the id from a create's answer — for the next N calls
 * or until cleared, to every call or (with `probability`) to that share of them. Stored in
 * Firestore (`crmMockFaults`) so every instance of the function obeys the same script.
 * Counting "the next N" uses an increment, not a transaction: two concurrent calls may both
 * take the last use, which is tolerable in a debugging tool.
 */
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { fieldOps, type DocStore } from '../../../shared/ports/docstore';

const FAULTS_COLLECTION = 'crmMockFaults';

const OPERATIONS = [
  'findAccount',
  'createAccount',
  'updateAccount',
  'findRecord',
  'createRecord',
  'updateRecord',
  'addComment',
  'addAttachment',
  'token',
] as const;
export type Operation = (typeof OPERATIONS)[number];
/** Faults run only after authentication: the public token route (`token`) takes none. */
const FAULT_OPERATIONS = OPERATIONS.filter((o): o is Exclude<Operation, 'token'> => o !== 'token');
const NO_TOKEN_FAULTS = 'the public token route (POST /oauth/token) takes no faults';

/** "METHOD /path" as people write them, for admins who think in endpoints. */
const ENDPOINTS: Record<string, Operation> = {
  'GET /accounts': 'findAccount',
  'POST /accounts/search': 'findAccount',
  'POST /accounts': 'createAccount',
  'PATCH /accounts/{id}': 'updateAccount',
  'PUT /accounts/{id}': 'updateAccount',
  'POST /accounts/{id}': 'updateAccount',
  'GET /records': 'findRecord',
  'POST /records/search': 'findRecord',
  'GET /records/{id}': 'findRecord',
  'POST /records': 'createRecord',
  'PATCH /records/{id}': 'updateRecord',
  'PUT /records/{id}': 'updateRecord',
  'POST /records/{id}': 'updateRecord',
  'POST /records/{id}/comments': 'addComment',
  'POST /records/{id}/attachments': 'addAttachment',
};

const endpointToOperation = (v: unknown) => {
  if (typeof v !== 'string') return v;
  const normalised = v
    .trim()
    .replace(/\s+/, ' ')
    .replace(/\/:id\b/, '/{id}');
  const [method, path] = normalised.split(' ');
  if (`${method?.toUpperCase()} ${path}` === 'POST /oauth/token') return 'token';
  return ENDPOINTS[`${method?.toUpperCase()} ${path}`] ?? v;
};

export const faultInputSchema = z
  .object({
    operation: z
      .enum([...FAULT_OPERATIONS, '*'], { error: (i) => (i.input === 'token' ? NO_TOKEN_FAULTS : `must be one of ${FAULT_OPERATIONS.join(', ')} or *`) })
      .optional(),
    endpoint: z
      .preprocess(
        endpointToOperation,
        z.enum(FAULT_OPERATIONS, { error: (i) => (i.input === 'token' ? NO_TOKEN_FAULTS : `must be one of: ${Object.keys(ENDPOINTS).join(', ')}`) }),
      )
      .optional(),
    status: z.number().int().min(400, { error: 'must be an HTTP error status (400-599)' }).max(599).optional(),
    retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
    latencyMs: z.number().int().min(0).max(60_000).optional(),
    malformedBody: z.boolean().optional(),
    missingId: z.boolean().optional(),
    /** How many calls it applies to; absent = until cleared. */
    times: z.number().int().min(1).max(10_000).optional(),
    /** The share of calls it applies to (e.g. 0.05 = one call in twenty, at random); absent = every call. */
    probability: z.number().gt(0, { error: 'must be above 0' }).max(1).optional(),
    note: z.string().max(200).optional(),
  })
  .strict()
  .refine((f) => (f.operation === undefined) !== (f.endpoint === undefined), { message: 'give exactly one of operation, endpoint' })
  .refine((f) => f.status !== undefined || f.latencyMs !== undefined || f.malformedBody === true || f.missingId === true, {
    message: 'a fault needs at least one of status, latencyMs, malformedBody, missingId',
  })
  .refine((f) => !(f.status !== undefined && (f.malformedBody || f.missingId)), {
    message: 'status answers before the operation runs; it cannot be combined with malformedBody or missingId',
  });
export type FaultInput = z.output<typeof faultInputSchema>;

const storedFaultSchema = z.object({
  id: z.string(),
  operation: z.enum([...OPERATIONS, '*']),
  status: z.number().nullish(),
  retryAfterSeconds: z.number().nullish(),
  latencyMs: z.number().nullish(),
  malformedBody: z.boolean().nullish(),
  missingId: z.boolean().nullish(),
  times: z.number().nullish(),
  probability: z.number().nullish(),
  used: z.number(),
  note: z.string().nullish(),
  createdAt: z.date(),
});
export type Fault = z.output<typeof storedFaultSchema>;

export interface FaultBook {
  add(input: FaultInput): Promise<Fault>;
  list(): Promise<Fault[]>;
  remove(id: string): Promise<void>;
  clear(): Promise<number>;
  /** The fault that applies to this call of `operation`, counted as used; undefined if none. */
  take(operation: Operation): Promise<Fault | undefined>;
}

export function createFaultBook(store: DocStore, now: () => Date = () => new Date(), random: () => number = Math.random): FaultBook {
  const list = async () =>
    (await store.query(FAULTS_COLLECTION, { limit: 500 })).map((d) => storedFaultSchema.parse(d.data)).sort((a, b) => a.id.localeCompare(b.id));
  return {
    async add(input) {
      const at = now();
      const id = `F-${at.getTime().toString().padStart(14, '0')}-${randomBytes(3).toString('hex')}`;
      const operation = input.operation ?? input.endpoint!;
      const data: Record<string, unknown> = { id, operation, used: 0, createdAt: at };
      for (const k of ['status', 'retryAfterSeconds', 'latencyMs', 'malformedBody', 'missingId', 'times', 'probability', 'note'] as const)
        if (input[k] !== undefined) data[k] = input[k];
      await store.create(FAULTS_COLLECTION, id, data);
      return storedFaultSchema.parse(data);
    },
    list,
    async remove(id) {
      await store.delete(FAULTS_COLLECTION, id);
    },
    async clear() {
      const all = await list();
      for (const f of all) await store.delete(FAULTS_COLLECTION, f.id);
      return all.length;
    },
    async take(operation) {
      const docs = await store.query(FAULTS_COLLECTION, { where: [['operation', 'in', [operation, '*']]], limit: 100 });
      const live = docs
        .map((d) => storedFaultSchema.parse(d.data))
        .filter((f) => f.times === null || f.times === undefined || f.used < f.times)
        .sort((a, b) => a.id.localeCompare(b.id));
      // Each probabilistic fault is drawn for on its own, in order: the first that applies wins.
      const fault = live.find((f) => f.probability == null || random() < f.probability);
      if (!fault) return undefined;
      await store.update(FAULTS_COLLECTION, fault.id, { used: fieldOps.increment(1) });
      return fault;
    },
  };
}

/** A one-line description for the journal and the page. */
export function describeFault(f: Fault): string {
  const parts: string[] = [];
  if (f.status != null) parts.push(`status ${f.status}${f.retryAfterSeconds != null ? ` (Retry-After ${f.retryAfterSeconds}s)` : ''}`);
  if (f.latencyMs != null) parts.push(`+${f.latencyMs} ms`);
  if (f.malformedBody) parts.push('malformed body');
  if (f.missingId) parts.push('id removed');
  if (f.probability != null) parts.push(`p=${f.probability}`);
  const uses = f.times != null ? ` [use ${f.used + 1} of ${f.times}]` : '';
  return `${f.id}: ${parts.join(', ')}${uses}`;
}
