/**
 * Twilio's call status callback (docs/contracts/twilio.md §5): a form-encoded POST signed
 * like every Twilio request. Parsed with zod; only terminal statuses make a call log.
 */
import * as z from 'zod';
import { ConfigError } from '../../shared/config';
import { type FieldRule, readFieldMap } from '../../shared/crm/adapters/field-map';
import type { Direction } from '../../shared/crm/port';

const CALL_SID = /^CA[0-9a-fA-F]{32}$/;
const TERMINAL_STATUSES = ['completed', 'busy', 'failed', 'no-answer', 'canceled'] as const;
const STATUSES = ['queued', 'initiated', 'ringing', 'in-progress', 'answered', ...TERMINAL_STATUSES] as const;

/** Request parameters Twilio documents for voice requests that a field map may copy (geographic data is best effort). */
const FIELD_SOURCES = [
  'CallSid',
  'AccountSid',
  'From',
  'To',
  'CallStatus',
  'CallDuration',
  'Direction',
  'Timestamp',
  'CallerName',
  'ForwardedFrom',
  'ParentCallSid',
  'FromCity',
  'FromState',
  'FromZip',
  'FromCountry',
  'ToCity',
  'ToState',
  'ToZip',
  'ToCountry',
  'CalledCity',
  'CalledState',
  'CallerCity',
  'CallerState',
  'CallerCountry',
] as const;

const text = (max: number) => z.string().max(max, { error: `at most ${max} characters` });
const digits = z.string().regex(/^\d{1,9}$/, { error: 'must be a whole number' });

export const statusCallbackSchema = z.looseObject({
  CallSid: z.string().regex(CALL_SID, { error: 'must be a Twilio call SID (CA + 32 hex digits)' }),
  AccountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, { error: 'must be a Twilio account SID' }),
  CallStatus: z.enum(STATUSES, { error: `must be one of ${STATUSES.join(', ')}` }),
  CallDuration: digits.optional(),
  From: text(256).optional(),
  To: text(256).optional(),
  Direction: text(40).optional(),
  Timestamp: text(100).optional(),
  SequenceNumber: digits.optional(),
  CallbackSource: text(100).optional(),
  ...Object.fromEntries(
    FIELD_SOURCES.filter((k) => !['CallSid', 'AccountSid', 'CallStatus', 'CallDuration', 'From', 'To', 'Direction', 'Timestamp'].includes(k)).map((k) => [
      k,
      text(256).optional(),
    ]),
  ),
});
export type StatusCallback = z.infer<typeof statusCallbackSchema>;

export function isTerminal(status: string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/** Twilio's Direction: `inbound`, `outbound-api`, `outbound-dial` (and trunking variants): the CRM's three. */
export function crmDirection(direction: string | undefined): Direction {
  if (direction === undefined || direction.startsWith('inbound') || direction === 'trunking-originating') return 'inbound';
  return 'outbound';
}

/** The field map, checked at start: every malformed pair and every unknown source listed at once. */
export function parseCallFieldMap(spec: string): FieldRule[] {
  const { rules, problems } = readFieldMap('CALL_LOG_FIELD_MAP', spec);
  for (const rule of rules) {
    if ('source' in rule && !(FIELD_SOURCES as readonly string[]).includes(rule.source)) {
      problems.push(
        `CALL_LOG_FIELD_MAP: "${rule.field}-${rule.source}": ${rule.source} is not a status callback parameter (one of ${FIELD_SOURCES.join(', ')})`,
      );
    }
  }
  if (problems.length > 0) throw new ConfigError('call-log', problems);
  return rules;
}

/** Withheld, empty or not-a-number caller IDs. */
export function isPrivateNumber(value: string | undefined, privateForms: readonly string[]): boolean {
  if (value === undefined) return true;
  const v = value.replace(/\s+/g, '').toLowerCase();
  return v === '' || privateForms.some((p) => p.replace(/\s+/g, '').toLowerCase() === v);
}
