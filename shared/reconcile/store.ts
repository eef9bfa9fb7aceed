/**
 * What a run keeps in Firestore, so it survives the death of any process taking part:
 *
 * - `reconcileWindows/<window key>`: the run in force for a window (a repeated request for
 *   the same window resumes it instead of starting over);
 * - `reconcileRuns/<run id>`: window, plan (the slices), state, and the report at the end;
 * - `reconcileSlices/<run id>~<n>`: one listing (source × time range) and its checkpoint —
 *   next_page_token and when it was issued, pages done, counts, and the marks of entries
 *   this run queued (so a page read twice, after a crash or an expired token, neither queues
 *   nor counts anything twice);
 * - `reconcileClaims/<run id>~<n>`: created by the lane that takes slice n — `create()` is
 *   the only arbiter, so two lanes never take the same slice without transactions;
 * - `reconcileLanes/<run id>~<k>`: lane k's step, current slice and heartbeat;
 * - `reconcileReports/<run id>`: the final report, created once (whoever creates it logs it).
 *
 * Every write is a create() precondition or a field-wise update of a document one process
 * owns at a time; nothing relies on transaction isolation.
 */
import * as z from 'zod';
import { DocAlreadyExistsError, type DocData, type DocStore, fieldOps } from '../ports/docstore';
import { type RunReport, reportSchema, runStateSchema, tallySchema } from './report';
import { SOURCES } from './sources';

export const COLLECTIONS = {
  windows: 'reconcileWindows',
  runs: 'reconcileRuns',
  slices: 'reconcileSlices',
  claims: 'reconcileClaims',
  lanes: 'reconcileLanes',
  reports: 'reconcileReports',
} as const;

const date = z.union([z.date(), z.string().transform((s) => new Date(s))]);

const slicePlanSchema = z.object({
  source: z.enum(SOURCES),
  from: z.string(),
  to: z.string(),
  estimatedPages: z.number().int().nonnegative(),
});
export type SlicePlan = z.output<typeof slicePlanSchema>;

const runDocSchema = z.looseObject({
  runId: z.string(),
  windowKey: z.string(),
  from: z.string(),
  to: z.string(),
  dryRun: z.boolean(),
  trigger: z.string().default('manual'),
  state: runStateSchema,
  startedAt: z.string(),
  plan: z.array(slicePlanSchema).optional(),
  probes: z.number().int().default(0),
  probeRequests: z.number().int().default(0),
  probeRateLimited: z.number().int().default(0),
  lanes: z.number().int().optional(),
  /** Per-category rates the run was planned with (requests/s, all lanes together). */
  rates: z.object({ light: z.number(), medium: z.number(), heavy: z.number() }).optional(),
  updatedAt: date.optional(),
});
export type RunDoc = z.output<typeof runDocSchema>;

const sliceStateSchema = z.enum(['pending', 'running', 'done', 'failed']);

export const sliceDocSchema = z.looseObject({
  runId: z.string(),
  index: z.number().int(),
  source: z.enum(SOURCES),
  from: z.string(),
  to: z.string(),
  estimatedPages: z.number().int().default(0),
  state: sliceStateSchema,
  /** Listing passes: a restart (expired token) begins a new pass with fresh counts. */
  pass: z.number().int().default(0),
  pageToken: z
    .string()
    .nullish()
    .transform((v) => v ?? undefined),
  /** When Zoom issued pageToken (ms): tokens older than ~15 minutes are not tried. */
  tokenAt: z
    .number()
    .nullish()
    .transform((v) => v ?? undefined),
  /** Pages done in this pass. */
  pages: z.number().int().default(0),
  counts: tallySchema.default(() => tallySchema.parse({})),
  /** Successful list calls over all passes. */
  listCalls: z.number().int().default(0),
  /** Every Zoom request attempt (retries and 429s included), over all passes. */
  requests: z.number().int().default(0),
  rateLimited: z.number().int().default(0),
  restarts: z.number().int().default(0),
  marks: z.record(z.string(), z.boolean()).default({}),
  reason: z.string().optional(),
  updatedAt: date.optional(),
});
export type SliceDoc = z.output<typeof sliceDocSchema>;

const laneDocSchema = z.looseObject({
  runId: z.string(),
  lane: z.number().int(),
  state: z.enum(['active', 'finished']),
  step: z.number().int(),
  slice: z
    .number()
    .int()
    .nullish()
    .transform((v) => v ?? undefined),
  /** The invocation working on the lane now (none between steps). */
  owner: z
    .string()
    .nullish()
    .transform((v) => v ?? undefined),
  heartbeatAt: z.number().default(0),
  dispatchedAt: z.number().default(0),
  /** Slices below this index were all tried by this lane (where its next claim attempt starts). */
  claimHint: z.number().int().default(0),
});
export type LaneDoc = z.output<typeof laneDocSchema>;

export interface NewRun {
  runId: string;
  windowKey: string;
  from: string;
  to: string;
  dryRun: boolean;
  trigger: string;
  state: 'planning';
  startedAt: string;
  rates: { light: number; medium: number; heavy: number };
}

const windowDocSchema = z.looseObject({ windowKey: z.string(), seq: z.number().int(), activeRunId: z.string() });

const sliceId = (runId: string, index: number) => `${runId}~${index}`;
const laneId = (runId: string, lane: number) => `${runId}~${lane}`;

class ReconcileStoreCorruptError extends Error {
  constructor(what: string, detail: string) {
    super(`reconcile ${what} is not readable: ${detail}`);
    this.name = 'ReconcileStoreCorruptError';
  }
}

function parse<S extends z.ZodType>(schema: S, raw: DocData | undefined, what: string): z.output<S> | undefined {
  if (raw === undefined) return undefined;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ReconcileStoreCorruptError(what, parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', '));
  return parsed.data;
}

/** create() that reports whether this call created it. */
async function createOnce(docs: DocStore, collection: string, id: string, data: DocData): Promise<boolean> {
  try {
    await docs.create(collection, id, data);
    return true;
  } catch (err) {
    if (err instanceof DocAlreadyExistsError) return false;
    throw err;
  }
}

export interface ReconcileStore {
  getWindow(key: string): Promise<z.output<typeof windowDocSchema> | undefined>;
  setWindow(key: string, seq: number, runId: string): Promise<void>;
  createRun(run: NewRun): Promise<boolean>;
  getRun(runId: string): Promise<RunDoc | undefined>;
  updateRun(runId: string, fields: DocData): Promise<void>;
  createSlice(runId: string, index: number, plan: SlicePlan): Promise<void>;
  getSlice(runId: string, index: number): Promise<SliceDoc | undefined>;
  updateSlice(runId: string, index: number, fields: DocData): Promise<void>;
  slicesOf(runId: string): Promise<SliceDoc[]>;
  countSlices(runId: string, state: z.output<typeof sliceStateSchema>): Promise<number>;
  claim(runId: string, index: number, lane: number): Promise<boolean>;
  claimant(runId: string, index: number): Promise<number | undefined>;
  createLane(runId: string, lane: number): Promise<void>;
  getLane(runId: string, lane: number): Promise<LaneDoc | undefined>;
  lanesOf(runId: string, count: number): Promise<Array<LaneDoc | undefined>>;
  updateLane(runId: string, lane: number, fields: DocData): Promise<void>;
  /** true when this call stored the report (it is the one to log it). */
  createReport(report: RunReport): Promise<boolean>;
  getReport(runId: string): Promise<RunReport | undefined>;
}

export function createReconcileStore(docs: DocStore): ReconcileStore {
  return {
    async getWindow(key) {
      return parse(windowDocSchema, await docs.get(COLLECTIONS.windows, key), `window ${key}`);
    },
    async setWindow(key, seq, runId) {
      await docs.set(COLLECTIONS.windows, key, { windowKey: key, seq, activeRunId: runId, updatedAt: fieldOps.serverTime() }, { merge: true });
    },
    createRun: (run) =>
      createOnce(docs, COLLECTIONS.runs, run.runId, { ...run, probes: 0, probeRequests: 0, probeRateLimited: 0, updatedAt: fieldOps.serverTime() }),
    async getRun(runId) {
      return parse(runDocSchema, await docs.get(COLLECTIONS.runs, runId), `run ${runId}`);
    },
    async updateRun(runId, fields) {
      await docs.update(COLLECTIONS.runs, runId, { ...fields, updatedAt: fieldOps.serverTime() });
    },
    async createSlice(runId, index, plan) {
      await createOnce(docs, COLLECTIONS.slices, sliceId(runId, index), {
        runId,
        index,
        ...plan,
        state: 'pending',
        pass: 0,
        pageToken: null,
        tokenAt: null,
        pages: 0,
        counts: tallySchema.parse({}),
        listCalls: 0,
        requests: 0,
        rateLimited: 0,
        restarts: 0,
        marks: {},
        updatedAt: fieldOps.serverTime(),
      });
    },
    async getSlice(runId, index) {
      return parse(sliceDocSchema, await docs.get(COLLECTIONS.slices, sliceId(runId, index)), `slice ${sliceId(runId, index)}`);
    },
    async updateSlice(runId, index, fields) {
      await docs.update(COLLECTIONS.slices, sliceId(runId, index), { ...fields, updatedAt: fieldOps.serverTime() });
    },
    async slicesOf(runId) {
      const found = await docs.query(COLLECTIONS.slices, { where: [['runId', '==', runId]] });
      return found.map((d) => sliceDocSchema.parse(d.data)).sort((a, b) => a.index - b.index);
    },
    countSlices: (runId, state) =>
      docs.count(COLLECTIONS.slices, {
        where: [
          ['runId', '==', runId],
          ['state', '==', state],
        ],
      }),
    claim: (runId, index, lane) => createOnce(docs, COLLECTIONS.claims, sliceId(runId, index), { runId, index, lane, at: fieldOps.serverTime() }),
    async claimant(runId, index) {
      const raw = await docs.get(COLLECTIONS.claims, sliceId(runId, index));
      const lane = raw?.['lane'];
      return typeof lane === 'number' ? lane : undefined;
    },
    async createLane(runId, lane) {
      await createOnce(docs, COLLECTIONS.lanes, laneId(runId, lane), {
        runId,
        lane,
        state: 'active',
        step: 0,
        slice: null,
        owner: null,
        heartbeatAt: 0,
        dispatchedAt: 0,
        claimHint: 0,
      });
    },
    async getLane(runId, lane) {
      return parse(laneDocSchema, await docs.get(COLLECTIONS.lanes, laneId(runId, lane)), `lane ${laneId(runId, lane)}`);
    },
    async lanesOf(runId, count) {
      const raw = await docs.getAll(
        COLLECTIONS.lanes,
        Array.from({ length: count }, (_, k) => laneId(runId, k)),
      );
      return raw.map((r, k) => parse(laneDocSchema, r, `lane ${laneId(runId, k)}`));
    },
    async updateLane(runId, lane, fields) {
      await docs.update(COLLECTIONS.lanes, laneId(runId, lane), fields);
    },
    createReport: (report) => createOnce(docs, COLLECTIONS.reports, report.runId, { ...report, createdAt: fieldOps.serverTime() }),
    async getReport(runId) {
      return parse(reportSchema, await docs.get(COLLECTIONS.reports, runId), `report ${runId}`);
    },
  };
}
