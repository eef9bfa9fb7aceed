/**
 * Field mappings in the form CTI connectors use: `SfField-sourceKey|SfField-sourceKey`, each
 * rule copying a value the bundle knows (sourceKey) into a CRM field. An extension for
 * defaults: `SfField=literal` sets a constant. Rules apply in order, a later one winning,
 * and a rule whose source has no value is skipped — so `LastName=Unknown caller|LastName-name`
 * means "the caller's name, or Unknown caller".
 */
import { ConfigError } from '../../config';

export type FieldRule = { field: string; source: string } | { field: string; literal: string };

/** A field's API name, or a numeric field id (Zendesk ticket fields). */
const FIELD = /^(?:[A-Za-z][A-Za-z0-9_]*|[1-9][0-9]*)$/;

export function parseFieldMap(setting: string, spec: string): FieldRule[] {
  const { rules, problems } = readFieldMap(setting, spec);
  if (problems.length > 0) throw new ConfigError('crm client', problems);
  return rules;
}

/** The well-formed rules of a map and a problem line for each malformed one, for callers that add checks of their own. */
export function readFieldMap(setting: string, spec: string): { rules: FieldRule[]; problems: string[] } {
  const problems: string[] = [];
  const rules: FieldRule[] = [];
  for (const part of spec
    .split('|')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)) {
    const eq = part.indexOf('=');
    const dash = part.indexOf('-');
    // Whichever separator comes first splits field from value (field names have neither).
    if (eq > 0 && (dash < 0 || eq < dash)) {
      const field = part.slice(0, eq).trim();
      if (!FIELD.test(field)) problems.push(`${setting}: "${field}" is not a field API name`);
      else rules.push({ field, literal: part.slice(eq + 1).trim() });
    } else if (dash > 0) {
      const field = part.slice(0, dash).trim();
      const source = part.slice(dash + 1).trim();
      if (!FIELD.test(field) || source.length === 0) problems.push(`${setting}: "${part}" must be Field-sourceKey or Field=value`);
      else rules.push({ field, source });
    } else problems.push(`${setting}: "${part}" must be Field-sourceKey or Field=value`);
  }
  return { rules, problems };
}

export function applyFieldMap(rules: FieldRule[], sources: Record<string, string | number | boolean | undefined>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const rule of rules) {
    if ('literal' in rule) out[rule.field] = rule.literal;
    else {
      const v = sources[rule.source];
      if (v !== undefined && v !== '') out[rule.field] = v;
    }
  }
  return out;
}
