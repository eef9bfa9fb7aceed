/**
 * The CCAI Platform custom-CRM sequence as the platform runs it against the contract, one
 * HTTP call per configured operation, reading ids where functions/crm/ccaip-config.json says
 * they are: find account → create → find record → create → comment → attachment → wrap-up.
 */
import { readFileSync } from 'node:fs';

interface CcaipOperation {
  operation: string;
  method: string;
  path: string;
  payloadTemplate: Record<string, string> | null;
  custom_id_location?: string;
  response_data_location?: string;
}
/** The checked-in configuration admins paste into CCAI Platform, read as they would. */
export const ccaipConfig = JSON.parse(readFileSync(new URL('../../functions/crm/ccaip-config.json', import.meta.url), 'utf8')) as {
  operations: CcaipOperation[];
};

export interface SequenceInput {
  phone: string;
  name: string;
  email?: string;
  sessionId: string;
  channel: string;
  queue?: string;
  subject: string;
  comment: string;
  attachment: { fileName: string; contentType: string; content: Buffer };
  wrapUp: { disposition: string; notes: string; durationSeconds: number };
}

export interface SequenceStep {
  operation: string;
  status: number;
  body: unknown;
}

export interface SequenceResult {
  accountId: string | undefined;
  recordId: string | undefined;
  steps: SequenceStep[];
}

type Operation = CcaipOperation;

/** Reads a dotted JSON path ("data.id") the way the platform's ID location does. */
export function readPath(body: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), body);
}

/** Fills {PLACEHOLDER}s of a template with values (strings JSON-escaped inside JSON). */
export function fill(template: string, values: Record<string, string | number | undefined>, json: boolean): string {
  return template.replace(/\{([A-Z_]+)\}/g, (_m, key: string) => {
    const v = values[key];
    const s = v === undefined ? '' : String(v);
    return json ? JSON.stringify(s).slice(1, -1) : encodeURIComponent(s);
  });
}

export async function runCcaipSequence(baseUrl: string, headers: Record<string, string>, input: SequenceInput): Promise<SequenceResult> {
  const op = (name: string): Operation => {
    const found = ccaipConfig.operations.find((o) => o.operation === name);
    if (!found) throw new Error(`ccaip-config.json has no operation ${name}`);
    return found;
  };
  const values: Record<string, string | number | undefined> = {
    PHONE_NUMBER: input.phone,
    END_USER_NAME: input.name,
    END_USER_EMAIL: input.email,
    SESSION_ID: input.sessionId,
    CHANNEL: input.channel,
    QUEUE_NAME: input.queue,
    SUBJECT: input.subject,
    COMMENT: input.comment,
    DISPOSITION: input.wrapUp.disposition,
    NOTES: input.wrapUp.notes,
    DURATION: input.wrapUp.durationSeconds,
    FILE_NAME: input.attachment.fileName,
  };
  const steps: SequenceStep[] = [];
  const base = baseUrl.replace(/\/+$/, '');

  const call = async (name: string, body?: Buffer, contentType?: string): Promise<unknown> => {
    const o = op(name);
    const url = `${base}${fill(o.path, values, false)}`;
    const init: RequestInit = { method: o.method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = new Uint8Array(body);
      (init.headers as Record<string, string>)['content-type'] = contentType ?? 'application/octet-stream';
    } else if (o.payloadTemplate !== null) {
      init.body = fill(JSON.stringify(o.payloadTemplate), values, true);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await fetch(url, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // kept as text
    }
    steps.push({ operation: name, status: res.status, body: parsed });
    return res.status >= 200 && res.status < 300 ? parsed : undefined;
  };

  const idAt = (name: string, body: unknown) => {
    const at = op(name).custom_id_location;
    const v = at ? readPath(body, at) : undefined;
    return typeof v === 'string' && v.length > 0 ? v : undefined;
  };

  let accountId = idAt('findAccount', await call('findAccount'));
  if (!accountId) accountId = idAt('createAccount', await call('createAccount'));
  values['ACCOUNT_ID'] = accountId;
  let recordId = idAt('findRecord', await call('findRecord'));
  if (!recordId) recordId = idAt('createRecord', await call('createRecord'));
  values['RECORD_ID'] = recordId;
  // Post-session steps need the record id; without it the platform's calls fail (the cascade).
  await call('addComment');
  await call('addAttachment', input.attachment.content, input.attachment.contentType);
  await call('wrapUp');
  return { accountId, recordId, steps };
}

export const sampleSequence = (sessionId: string): SequenceInput => ({
  phone: '(415) 555-0142',
  name: 'Grace Hopper',
  email: 'grace@example.com',
  sessionId,
  channel: 'voice_call',
  queue: 'Billing',
  subject: 'Inbound call about an invoice',
  comment: 'Caller disputes invoice 1042',
  attachment: { fileName: `chat-${sessionId}.txt`, contentType: 'text/plain', content: Buffer.from(`transcript of ${sessionId}\n`) },
  wrapUp: { disposition: 'Resolved', notes: 'Credit note issued', durationSeconds: 245 },
});
