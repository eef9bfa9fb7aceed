/**
 * One Write (update with or without update_mask, delete, transforms, precondition) planned
 * against a view of the documents, without changing anything: commits plan every write
 * first and apply them only if all succeed.
 */
import type { StoredDocument } from './database';
import { checkDocumentSize } from './document-size';
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from './errors';
import { DOCUMENT_ID, deleteField, getField, parseFieldPath, setField } from './field-paths';
import { checkWritableDocumentName } from './names';
import { timestampMicros, toTimestamp } from './time';
import { applyTransforms, type FieldTransform, parseTransform } from './transforms';
import { checkFields, identicalFields } from './values';
import type { Fields, Value, WirePrecondition, WireWrite, WireWriteResult } from './wire';

export interface DocumentView {
  get(path: string): StoredDocument | undefined;
}

export interface PlannedWrite {
  readonly path: string;
  readonly name: string;
  readonly before: StoredDocument | undefined;
  /** undefined: the document does not exist after the write. */
  readonly after: StoredDocument | undefined;
  readonly result: WireWriteResult;
}

function targetName(write: WireWrite): string {
  switch (write.operation) {
    case 'update':
      return write.update!.name;
    case 'delete':
      return write.delete!;
    case 'transform':
      return write.transform!.document;
    default:
      throw invalidArgument('A write sets none of update, delete, transform.');
  }
}

function checkPrecondition(p: WirePrecondition | null, name: string, before: StoredDocument | undefined): void {
  if (p === null || p.conditionType === undefined) return;
  if (p.conditionType === 'exists') {
    if (p.exists === true && before === undefined) throw notFound(`No document to update: ${name}`);
    if (p.exists === false && before !== undefined) throw alreadyExists(`Document already exists: ${name}`);
    return;
  }
  const wanted = timestampMicros(p.updateTime!);
  if (before === undefined) throw failedPrecondition(`The document ${name} does not exist, so its update time cannot match the precondition.`);
  if (before.updateTime !== wanted) {
    throw failedPrecondition(
      `The stored version of ${name} (update time ${JSON.stringify(toTimestamp(before.updateTime))}) does not ` +
        `match the required base version (${JSON.stringify(p.updateTime)}).`,
    );
  }
}

function maskPaths(write: WireWrite): Array<readonly string[]> | undefined {
  if (write.updateMask === null) return undefined;
  return write.updateMask.fieldPaths.map((fieldPath) => {
    const path = parseFieldPath(fieldPath);
    if (path[0] === DOCUMENT_ID) throw invalidArgument(`The update mask may not name ${DOCUMENT_ID}.`);
    return path;
  });
}

export function planWrite(view: DocumentView, database: string, write: WireWrite, commitTime: number): PlannedWrite {
  const name = targetName(write);
  const parsed = checkWritableDocumentName(name);
  if (parsed.database !== database) throw invalidArgument(`Document ${name} is not in the request's database ${database}.`);
  const path = parsed.path;
  const before = view.get(path);
  checkPrecondition(write.currentDocument, name, before);

  if (write.operation === 'delete') {
    if (write.updateMask !== null || write.updateTransforms.length > 0) {
      throw invalidArgument(`A delete of ${name} cannot carry an update mask or transforms.`);
    }
    return { path, name, before, after: undefined, result: { transformResults: [] } };
  }

  let fields: Fields;
  let transforms: FieldTransform[];
  if (write.operation === 'update') {
    const given = checkFields(write.update!.fields, '');
    const mask = maskPaths(write);
    if (mask === undefined) {
      fields = { ...given };
    } else {
      fields = before === undefined ? {} : { ...before.fields };
      for (const p of mask) {
        const value: Value | undefined = getField(given, p);
        if (value === undefined) deleteField(fields, p);
        else setField(fields, p, value);
      }
    }
    transforms = write.updateTransforms.map(parseTransform);
  } else {
    if (write.updateMask !== null || write.updateTransforms.length > 0) {
      throw invalidArgument(`A transform write on ${name} cannot carry an update mask or update transforms.`);
    }
    fields = before === undefined ? {} : { ...before.fields };
    transforms = write.transform!.fieldTransforms.map(parseTransform);
  }
  const transformResults = applyTransforms(fields, transforms, commitTime);

  if (before !== undefined && identicalFields(before.fields, fields)) {
    // Firestore leaves a document a write does not change as it was, update time included.
    return { path, name, before, after: before, result: { updateTime: toTimestamp(before.updateTime), transformResults } };
  }
  checkDocumentSize(name, parsed.segments, fields);
  const after: StoredDocument = {
    name,
    path,
    segments: parsed.segments,
    fields,
    createTime: before?.createTime ?? commitTime,
    updateTime: commitTime,
  };
  return { path, name, before, after, result: { updateTime: toTimestamp(commitTime), transformResults } };
}
