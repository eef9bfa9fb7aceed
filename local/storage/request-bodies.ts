// Parsers for the JSON bodies clients send: object metadata on insert (multipart metadata
// part, resumable initiation), patch/update, compose, and bucket insert.
import * as z from 'zod';
import { badRequest } from './errors';

/** Fields a client may set on an object; everything else in the resource is computed. */
export interface ObjectFields {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  cacheControl?: string;
  contentLanguage?: string;
  metadata: Record<string, string>;
}

export const SETTABLE_FIELDS = ['contentType', 'contentEncoding', 'contentDisposition', 'cacheControl', 'contentLanguage'] as const;

// Custom metadata values are strings in GCS; clients sometimes send numbers or booleans.
const metadataValueSchema = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const insertSchema = z.object({
  name: z.string().min(1).optional(),
  contentType: z.string().optional(),
  contentEncoding: z.string().optional(),
  contentDisposition: z.string().optional(),
  cacheControl: z.string().optional(),
  contentLanguage: z.string().optional(),
  metadata: z.record(z.string(), metadataValueSchema.nullable()).nullable().optional(),
  md5Hash: z.string().optional(),
  crc32c: z.string().optional(),
});

/** What an insert's metadata says: fields to store, plus a name and hashes to check. */
export interface InsertMetadata {
  name?: string;
  fields: ObjectFields;
  expectedMd5Hash?: string;
  expectedCrc32c?: string;
}

export function parseInsertMetadata(json: unknown): InsertMetadata {
  const parsed = parseOrBadRequest(insertSchema, json ?? {});
  const fields: ObjectFields = { metadata: {} };
  for (const key of SETTABLE_FIELDS) {
    const value = parsed[key];
    if (value !== undefined) fields[key] = value;
  }
  for (const [key, value] of Object.entries(parsed.metadata ?? {})) {
    if (value !== null) fields.metadata[key] = value;
  }
  const out: InsertMetadata = { fields };
  if (parsed.name !== undefined) out.name = parsed.name;
  if (parsed.md5Hash !== undefined) out.expectedMd5Hash = parsed.md5Hash;
  if (parsed.crc32c !== undefined) out.expectedCrc32c = parsed.crc32c;
  return out;
}

const patchSchema = z.object({
  contentType: z.string().nullable().optional(),
  contentEncoding: z.string().nullable().optional(),
  contentDisposition: z.string().nullable().optional(),
  cacheControl: z.string().nullable().optional(),
  contentLanguage: z.string().nullable().optional(),
  metadata: z.record(z.string(), metadataValueSchema.nullable()).nullable().optional(),
});

/**
 * Applies a PATCH body (`null` clears a field or a metadata key, absent keys stay) or,
 * with `replace`, a PUT body (the body is the whole writable state).
 */
export function applyFieldsPatch(current: ObjectFields, json: unknown, replace: boolean): ObjectFields {
  const patch = parseOrBadRequest(patchSchema, json ?? {});
  const next: ObjectFields = replace ? { metadata: {} } : pickFields(current);
  for (const key of SETTABLE_FIELDS) {
    const value = patch[key];
    if (value === null) delete next[key];
    else if (value !== undefined) next[key] = value;
  }
  if (patch.metadata === null) next.metadata = {};
  else if (patch.metadata !== undefined) {
    for (const [key, value] of Object.entries(patch.metadata)) {
      if (value === null) delete next.metadata[key];
      else next.metadata[key] = value;
    }
  }
  return next;
}

/** Copies only the writable fields, whatever else `source` carries (e.g. a whole record). */
export function pickFields(source: ObjectFields): ObjectFields {
  const fields: ObjectFields = { metadata: { ...source.metadata } };
  for (const key of SETTABLE_FIELDS) {
    const value = source[key];
    if (value !== undefined) fields[key] = value;
  }
  return fields;
}

function parseOrBadRequest<T>(schema: z.ZodType<T>, json: unknown): T {
  const result = schema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
    throw badRequest(`Invalid object metadata: ${issues.join('; ')}`);
  }
  return result.data;
}

const composeSchema = z.object({
  sourceObjects: z
    .array(
      z.object({
        name: z.string().min(1),
        generation: z.union([z.string(), z.number()]).transform(String).optional(),
        objectPreconditions: z.object({ ifGenerationMatch: z.union([z.string(), z.number()]).transform(String).optional() }).optional(),
      }),
    )
    .min(1)
    .max(32),
  destination: z.unknown().optional(),
});

export interface ComposeRequest {
  sources: Array<{ name: string; generation?: string; ifGenerationMatch?: string }>;
  destination: InsertMetadata;
}

export function parseComposeRequest(json: unknown): ComposeRequest {
  const parsed = parseOrBadRequest(composeSchema, json);
  return {
    sources: parsed.sourceObjects.map((s) => {
      const source: ComposeRequest['sources'][number] = { name: s.name };
      if (s.generation !== undefined) source.generation = s.generation;
      if (s.objectPreconditions?.ifGenerationMatch !== undefined) {
        source.ifGenerationMatch = s.objectPreconditions.ifGenerationMatch;
      }
      return source;
    }),
    destination: parseInsertMetadata(parsed.destination ?? {}),
  };
}

const bucketInsertSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'not a valid bucket name'),
  location: z.string().optional(),
  storageClass: z.string().optional(),
});

export function parseBucketInsert(json: unknown): { name: string; location?: string; storageClass?: string } {
  const parsed = parseOrBadRequest(bucketInsertSchema, json ?? {});
  const out: { name: string; location?: string; storageClass?: string } = { name: parsed.name };
  if (parsed.location !== undefined) out.location = parsed.location.toUpperCase();
  if (parsed.storageClass !== undefined) out.storageClass = parsed.storageClass;
  return out;
}
