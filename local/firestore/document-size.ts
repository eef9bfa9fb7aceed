/**
 * Firestore's storage size of a document (firebase.google.com/docs/firestore/storage-size):
 * name size + Σ(field name size + value size) + 32 bytes; strings count UTF-8 bytes + 1.
 * A write that would leave a document over 1 MiB is refused.
 */
import { invalidArgument } from './errors';
import { utf8Length } from './names';
import type { Fields, Value } from './wire';

export const MAX_DOCUMENT_BYTES = 1_048_576;

function nameSize(segments: readonly string[]): number {
  let size = 16;
  for (const s of segments) size += utf8Length(s) + 1;
  return size;
}

function referenceSize(name: string): number {
  const at = name.indexOf('/documents/');
  return nameSize(at === -1 ? [] : name.slice(at + '/documents/'.length).split('/'));
}

function valueSize(v: Value): number {
  switch (v.valueType) {
    case 'nullValue':
    case 'booleanValue':
      return 1;
    case 'integerValue':
    case 'doubleValue':
    case 'timestampValue':
      return 8;
    case 'geoPointValue':
      return 16;
    case 'stringValue':
      return utf8Length(v.stringValue) + 1;
    case 'bytesValue':
      return v.bytesValue.length;
    case 'referenceValue':
      return referenceSize(v.referenceValue);
    case 'arrayValue': {
      let size = 0;
      for (const e of v.arrayValue.values) size += valueSize(e);
      return size;
    }
    case 'mapValue':
      return fieldsSize(v.mapValue.fields);
  }
}

function fieldsSize(fields: Fields): number {
  let size = 0;
  for (const key in fields) size += utf8Length(key) + 1 + valueSize(fields[key]!);
  return size;
}

export function documentSize(segments: readonly string[], fields: Fields): number {
  return nameSize(segments) + fieldsSize(fields) + 32;
}

export function checkDocumentSize(name: string, segments: readonly string[], fields: Fields): void {
  const size = documentSize(segments, fields);
  if (size > MAX_DOCUMENT_BYTES) {
    throw invalidArgument(
      `Document "${name}" cannot be written because its size (${size} bytes) exceeds the maximum allowed size of ${MAX_DOCUMENT_BYTES} bytes.`,
    );
  }
}
