/**
 * Which field names each CRM takes in `RecordUpdate.fields` (the CRM's own fields of a record's
 * activity log), checked where a function starts so a misspelt or impossible name is a clear
 * configuration error rather than a write Salesforce refuses, or one ServiceNow silently drops.
 * Facts and sources: docs/contracts/salesforce.md, servicenow.md, zendesk.md, be-aware-360.md.
 *
 * - Salesforce (the call Task): a custom field `Name__c` (or `ns__Name__c`), or one of the
 *   writable standard Task fields the adapter does not set itself. Salesforce refuses a name
 *   the Task does not have (400 INVALID_FIELD), so only existence in the org stays unchecked.
 * - ServiceNow (the incident): a column name, lowercase letters, digits and `_` (custom
 *   columns start `u_`); not a system column (`sys_…`) nor one the adapter writes itself. The
 *   Table API ignores names the table lacks, so this syntax check is all that catches a typo.
 * - Zendesk (the ticket): a ticket custom field id (digits), written as `custom_fields`.
 * - Be Aware 360: no record API — no field can be written.
 * - mock (the crm function's mock CRM): any name of letters, digits and `_`.
 */
import type { CrmAdapterKind } from './config';
import type { RecordFields } from './port';

/** The CRM that finally holds the record: an adapter kind, or the crm function's mock. */
export type RecordFieldTarget = Exclude<CrmAdapterKind, 'contract'> | 'mock';
export const RECORD_FIELD_TARGETS = ['salesforce', 'servicenow', 'zendesk', 'ba360', 'mock'] as const satisfies readonly RecordFieldTarget[];

/** Task fields the Salesforce adapter writes itself (a mapping cannot override them). */
export const SF_TASK_OWN_FIELDS = [
  'Id',
  'CallObject',
  'CallType',
  'CallDurationInSeconds',
  'CallDisposition',
  'Description',
  'Status',
  'ActivityDate',
  'Subject',
  'WhoId',
  'WhatId',
  'TaskSubtype',
];
/** Writable standard Task fields a mapping may set (Object Reference, Task: create/update properties). */
const SF_TASK_MAPPABLE_STANDARD = ['Priority', 'Type', 'OwnerId', 'IsReminderSet', 'ReminderDateTime', 'IsVisibleInSelfService'];
/** Incident columns the ServiceNow adapter writes itself. */
export const SN_OWN_FIELDS = [
  'caller_id',
  'short_description',
  'contact_type',
  'correlation_id',
  'correlation_display',
  'description',
  'state',
  'close_code',
  'close_notes',
  'work_notes',
  'comments',
  'number',
];

/** Salesforce API names: a letter, then letters/digits/single underscores, no trailing underscore; custom ones end __c, optionally behind a namespace. */
const SF_NAME = /^[A-Za-z](?:[A-Za-z0-9]|_(?!_))*(?<!_)$/;
const SF_CUSTOM = /^(?:[A-Za-z](?:[A-Za-z0-9]|_(?!_))*(?<!_)__)?[A-Za-z](?:[A-Za-z0-9]|_(?!_))*(?<!_)__c$/;
/** A custom field's own name, without its namespace prefix and __c (Salesforce allows 40 characters). */
const customCore = (name: string) => name.slice(0, -3).split('__').pop() ?? '';
/** ServiceNow column names are lowercase (dictionary element names), at most 80 characters. */
const SN_COLUMN = /^[a-z][a-z0-9_]{0,79}$/;
const ZD_FIELD_ID = /^[1-9]\d{0,17}$/;
const MOCK_NAME = /^[A-Za-z][A-Za-z0-9_]{0,79}$/;

/** One problem per name the target CRM cannot take, worded for the setting that named it. */
export function recordFieldProblems(target: RecordFieldTarget, names: readonly string[], setting: string): string[] {
  const problems: string[] = [];
  for (const name of names) {
    const problem = problemOf(target, name);
    if (problem !== undefined) problems.push(`${setting}: "${name}" ${problem}`);
  }
  return problems;
}

function problemOf(target: RecordFieldTarget, name: string): string | undefined {
  switch (target) {
    case 'salesforce':
      if (SF_TASK_OWN_FIELDS.includes(name)) return 'is a Task field ccbridge sets itself';
      if (SF_CUSTOM.test(name) && customCore(name).length <= 40) return undefined;
      if (SF_NAME.test(name) && SF_TASK_MAPPABLE_STANDARD.includes(name)) return undefined;
      return (
        `is not a Salesforce Task field: a custom field's API name ends in __c (e.g. CallerCity__c, at most ` +
        `40 characters before __c), or a writable standard field (${SF_TASK_MAPPABLE_STANDARD.join(', ')})`
      );
    case 'servicenow':
      if (!SN_COLUMN.test(name)) return 'is not a ServiceNow column name (lowercase letters, digits and _, e.g. u_caller_city)';
      if (name.startsWith('sys_') || SN_OWN_FIELDS.includes(name)) return 'is a column ccbridge or ServiceNow sets itself';
      return undefined;
    case 'zendesk':
      return ZD_FIELD_ID.test(name)
        ? undefined
        : 'is not a Zendesk ticket field id (the number shown in Admin ' + 'Center → Objects and rules → Tickets → Fields)';
    case 'ba360':
      return 'cannot be written: Be Aware 360 has no record API (docs/contracts/be-aware-360.md); leave the field map empty';
    case 'mock':
      return MOCK_NAME.test(name) ? undefined : 'is not a field name (letters, digits and _)';
  }
}

/** The entries of `fields` not among `own` (what an adapter writes itself always wins). */
export function mappedFields(fields: RecordFields | undefined, own: readonly string[]): RecordFields {
  return Object.fromEntries(Object.entries(fields ?? {}).filter(([k]) => !own.includes(k)));
}
