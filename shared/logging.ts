/**
 * Structured logs that Cloud Logging understands: one JSON object per line on stdout with
 * `severity`, `message`, and the trace fields that tie a line to its request.
 * Every string in an entry goes through the masker (secrets, emails, phone numbers).
 */
import { isAppError } from './errors';
import { createMasker, type Masker } from './mask';

export type Severity = 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR' | 'CRITICAL';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const RANK: Record<Severity, number> = { DEBUG: 100, INFO: 200, NOTICE: 300, WARNING: 400, ERROR: 500, CRITICAL: 600 };
const LEVEL_MIN: Record<LogLevel, number> = { debug: 100, info: 200, warn: 400, error: 500 };

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  notice(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose entries all carry `fields` (e.g. the request's trace). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Needed to build the `logging.googleapis.com/trace` resource name. */
  projectId?: string;
  masker?: Masker;
  /** Where lines go; stdout by default. Tests pass an array's push. */
  sink?: (line: string) => void;
  fields?: LogFields;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const masker = options.masker ?? createMasker();
  const sink = options.sink ?? ((line: string) => process.stdout.write(`${line}\n`));
  const min = LEVEL_MIN[options.level ?? 'info'];

  const make = (base: LogFields): Logger => {
    const write = (severity: Severity, message: string, fields?: LogFields) => {
      if (RANK[severity] < min) return;
      const entry: LogFields = { severity, message, time: new Date().toISOString(), ...base };
      if (fields) for (const [k, v] of Object.entries(fields)) entry[k] = k === 'err' || v instanceof Error ? serializeError(v) : v;
      const masked = masker.maskValue(undefined, entry) as LogFields;
      // The message is free text: mask it too (maskValue already did), but never let it be undefined.
      sink(safeStringify(masked));
    };
    return {
      debug: (m, f) => write('DEBUG', m, f),
      info: (m, f) => write('INFO', m, f),
      notice: (m, f) => write('NOTICE', m, f),
      warn: (m, f) => write('WARNING', m, f),
      error: (m, f) => write('ERROR', m, f),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make(options.fields ?? {});
}

/** A logger that drops everything; for tests that do not look at logs. */
export const silentLogger: Logger = createLogger({ sink: () => undefined });

export function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const out: LogFields = { name: err.name, message: err.message };
  if (isAppError(err)) {
    out['code'] = err.code;
    out['status'] = err.status;
  }
  const code = (err as { code?: unknown }).code;
  if (out['code'] === undefined && (typeof code === 'string' || typeof code === 'number')) out['code'] = code;
  if (err.stack) out['stack'] = err.stack;
  if (err.cause !== undefined) out['cause'] = serializeError(err.cause);
  return out;
}

function safeStringify(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v !== null && typeof v === 'object') {
      if (seen.has(v)) return '[circular]';
      seen.add(v);
    }
    return v;
  });
}

export interface TraceContext {
  traceId: string;
  spanId?: string;
  sampled?: boolean;
}

/**
 * Reads the trace of an incoming request: `traceparent` (W3C, what Cloud Run and Cloud
 * Functions gen2 send today) or `X-Cloud-Trace-Context: TRACE/SPAN;o=1` (legacy).
 */
export function parseTraceHeaders(headers: Record<string, string | string[] | undefined>): TraceContext | undefined {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const traceparent = first(headers['traceparent']);
  if (traceparent) {
    const m = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(traceparent.trim());
    if (m) return { traceId: m[1]!, spanId: m[2]!, sampled: (Number.parseInt(m[3]!, 16) & 1) === 1 };
  }
  const cloud = first(headers['x-cloud-trace-context']);
  if (cloud) {
    const m = /^([0-9a-fA-F]{32})(?:\/(\d+))?(?:;o=([01]))?/.exec(cloud.trim());
    if (m) {
      const ctx: TraceContext = { traceId: m[1]!.toLowerCase() };
      if (m[2]) ctx.spanId = BigInt(m[2]).toString(16).padStart(16, '0');
      if (m[3]) ctx.sampled = m[3] === '1';
      return ctx;
    }
  }
  return undefined;
}

/** The special fields Cloud Logging uses to group a request's lines under its trace. */
export function traceFields(trace: TraceContext | undefined, projectId: string | undefined): LogFields {
  if (!trace) return {};
  const fields: LogFields = {
    'logging.googleapis.com/trace': projectId ? `projects/${projectId}/traces/${trace.traceId}` : trace.traceId,
  };
  if (trace.spanId) fields['logging.googleapis.com/spanId'] = trace.spanId;
  if (trace.sampled !== undefined) fields['logging.googleapis.com/trace_sampled'] = trace.sampled;
  return fields;
}
