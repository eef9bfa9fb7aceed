/**
 * Structured logs that Cloud Logging understands: one JSON object per line on stdout with
 * `severity`, `message`, and the trace fields that tie a line to its request.
 * Every string in an entry goes through the masker (secrets, emails, phone numbers).
 */
import { isAppError } from './errors';
import { headerValue } from './http/headers';
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
  const output: LogOutput = {
    masker: options.masker ?? createMasker(),
    sink: options.sink ?? ((line: string) => process.stdout.write(`${line}\n`)),
    min: LEVEL_MIN[options.level ?? 'info'],
  };
  return new StructuredLogger(output, options.fields ?? {});
}

interface LogOutput {
  masker: Masker;
  sink: (line: string) => void;
  min: number;
}

/** Methods on the prototype: every request makes a child, which should cost one small object. */
class StructuredLogger implements Logger {
  constructor(
    private readonly output: LogOutput,
    private readonly base: LogFields,
  ) {}

  debug(message: string, fields?: LogFields): void {
    this.write('DEBUG', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.write('INFO', message, fields);
  }
  notice(message: string, fields?: LogFields): void {
    this.write('NOTICE', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.write('WARNING', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.write('ERROR', message, fields);
  }
  child(fields: LogFields): Logger {
    return new StructuredLogger(this.output, { ...this.base, ...fields });
  }

  private write(severity: Severity, message: string, fields: LogFields | undefined): void {
    if (RANK[severity] < this.output.min) return;
    const entry: LogFields = { severity, message, time: new Date().toISOString(), ...this.base };
    if (fields) for (const [k, v] of Object.entries(fields)) entry[k] = k === 'err' || v instanceof Error ? serializeError(v) : v;
    // Every string is masked, the message (free text) included.
    const masked = this.output.masker.maskValue(undefined, entry) as LogFields;
    this.output.sink(safeStringify(masked));
  }
}

function serializeError(err: unknown): unknown {
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
  // The common case needs no replacer (which makes JSON.stringify several times slower);
  // a bigint or a cycle makes it throw, and only then is the careful version used.
  try {
    return JSON.stringify(value);
  } catch {
    return carefulStringify(value);
  }
}

function carefulStringify(value: unknown): string {
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
  const traceparent = headerValue(headers, 'traceparent');
  if (traceparent) {
    const m = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(traceparent.trim());
    if (m) return { traceId: m[1]!, spanId: m[2]!, sampled: (Number.parseInt(m[3]!, 16) & 1) === 1 };
  }
  const cloud = headerValue(headers, 'x-cloud-trace-context');
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
