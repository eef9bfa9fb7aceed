/**
 * Field paths ("a.b", "`odd.name`.c") and reading/writing nested fields. Stored field maps
 * are never mutated: writes work on copies (`setField`/`deleteField` copy each map they
 * change along the path).
 */
import { invalidArgument } from './errors';
import type { Fields, Value } from './wire';

export const DOCUMENT_ID = '__name__';

const parsed = new Map<string, readonly string[]>();

/** Splits a field path into segments; backquoted segments may hold dots, "\\`" and "\\\\" escape. */
export function parseFieldPath(text: string): readonly string[] {
  const cached = parsed.get(text);
  if (cached !== undefined) return cached;
  if (text === '') throw invalidArgument('Invalid field path: it is empty.');
  const segments: string[] = [];
  let i = 0;
  while (i <= text.length) {
    let segment = '';
    if (text[i] === '`') {
      i++;
      let closed = false;
      while (i < text.length) {
        const c = text[i]!;
        if (c === '\\') {
          if (i + 1 >= text.length) break;
          segment += text[i + 1];
          i += 2;
        } else if (c === '`') {
          closed = true;
          i++;
          break;
        } else {
          segment += c;
          i++;
        }
      }
      if (!closed) throw invalidArgument(`Invalid field path "${text}": unterminated backquote.`);
      if (i < text.length && text[i] !== '.') throw invalidArgument(`Invalid field path "${text}": expected "." after a backquoted segment.`);
    } else {
      const dot = text.indexOf('.', i);
      const end = dot === -1 ? text.length : dot;
      segment = text.slice(i, end);
      if (segment.includes('`')) throw invalidArgument(`Invalid field path "${text}": a backquote may only open a segment.`);
      i = end;
    }
    if (segment === '') throw invalidArgument(`Invalid field path "${text}": empty segment.`);
    segments.push(segment);
    i++; // past the "." (or the end)
  }
  if (parsed.size > 50_000) parsed.clear();
  parsed.set(text, segments);
  return segments;
}

export function getField(fields: Fields, path: readonly string[]): Value | undefined {
  let current: Fields = fields;
  const last = path.length - 1;
  for (let i = 0; i < last; i++) {
    const next = current[path[i]!];
    if (next === undefined || next.valueType !== 'mapValue') return undefined;
    current = next.mapValue.fields;
  }
  return current[path[last]!];
}

/** Sets a nested field in `fields` (owned by the caller), copying the maps along the path; a non-map in the way becomes a map. */
export function setField(fields: Fields, path: readonly string[], value: Value): void {
  let current = fields;
  const last = path.length - 1;
  for (let i = 0; i < last; i++) {
    const key = path[i]!;
    const existing = current[key];
    const copy: Fields = existing !== undefined && existing.valueType === 'mapValue' ? { ...existing.mapValue.fields } : {};
    current[key] = { valueType: 'mapValue', mapValue: { fields: copy } };
    current = copy;
  }
  current[path[last]!] = value;
}

/** Removes a nested field from `fields` (owned by the caller), copying the maps along the path; absent paths are left alone. */
export function deleteField(fields: Fields, path: readonly string[]): void {
  if (getField(fields, path) === undefined) return;
  let current = fields;
  const last = path.length - 1;
  for (let i = 0; i < last; i++) {
    const key = path[i]!;
    const existing = current[key] as Extract<Value, { valueType: 'mapValue' }>;
    const copy: Fields = { ...existing.mapValue.fields };
    current[key] = { valueType: 'mapValue', mapValue: { fields: copy } };
    current = copy;
  }
  delete current[path[last]!];
}

/** The fields at the given paths only, nested as in the document (a read mask or a query's select). */
export function projectFields(fields: Fields, paths: ReadonlyArray<readonly string[]>): Fields {
  const out: Fields = {};
  for (const path of paths) {
    const value = getField(fields, path);
    if (value !== undefined) setField(out, path, value);
  }
  return out;
}
