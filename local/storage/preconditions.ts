import { badRequest, conditionNotMet, GcsJsonError } from './errors';

/** The generation/metageneration conditions of the JSON API, as query-string values. */
export interface Preconditions {
  ifGenerationMatch?: string;
  ifGenerationNotMatch?: string;
  ifMetagenerationMatch?: string;
  ifMetagenerationNotMatch?: string;
}

interface Versioned {
  generation: string;
  metageneration: number;
}

const NAMES = ['GenerationMatch', 'GenerationNotMatch', 'MetagenerationMatch', 'MetagenerationNotMatch'] as const;

/**
 * Reads `if…` parameters; `source` reads the `ifSource…` family that copy/rewrite use for
 * the source object. Values must be decimal integers, as GCS requires.
 */
export function parsePreconditions(query: URLSearchParams, source = false): Preconditions {
  const out: Preconditions = {};
  for (const name of NAMES) {
    const param = `if${source ? 'Source' : ''}${name}`;
    const value = query.get(param);
    if (value === null) continue;
    if (!/^\d+$/.test(value)) throw badRequest(`Invalid value for ${param}: ${value}`);
    out[`if${name}`] = value;
  }
  return out;
}

/** For writes (insert, patch, delete, upload completion): any failed condition is 412. */
export function checkWritePreconditions(existing: Versioned | undefined, p: Preconditions): void {
  if (p.ifGenerationMatch !== undefined) {
    const ok = p.ifGenerationMatch === '0' ? existing === undefined : existing?.generation === p.ifGenerationMatch;
    if (!ok) throw conditionNotMet(`ifGenerationMatch=${p.ifGenerationMatch}`);
  }
  if (p.ifGenerationNotMatch !== undefined) {
    // GCS: 0 means "succeeds only if a live version exists".
    const ok = p.ifGenerationNotMatch === '0' ? existing !== undefined : existing === undefined || existing.generation !== p.ifGenerationNotMatch;
    if (!ok) throw conditionNotMet(`ifGenerationNotMatch=${p.ifGenerationNotMatch}`);
  }
  if (p.ifMetagenerationMatch !== undefined && String(existing?.metageneration) !== p.ifMetagenerationMatch) {
    throw conditionNotMet(`ifMetagenerationMatch=${p.ifMetagenerationMatch}`);
  }
  if (p.ifMetagenerationNotMatch !== undefined && existing !== undefined && String(existing.metageneration) === p.ifMetagenerationNotMatch) {
    throw conditionNotMet(`ifMetagenerationNotMatch=${p.ifMetagenerationNotMatch}`);
  }
}

/** For reads of an existing object: failed `Match` is 412, failed `NotMatch` is 304 as in GCS. */
export function checkReadPreconditions(existing: Versioned, p: Preconditions): void {
  if (p.ifGenerationMatch !== undefined && existing.generation !== p.ifGenerationMatch) {
    throw conditionNotMet(`ifGenerationMatch=${p.ifGenerationMatch}`);
  }
  if (p.ifMetagenerationMatch !== undefined && String(existing.metageneration) !== p.ifMetagenerationMatch) {
    throw conditionNotMet(`ifMetagenerationMatch=${p.ifMetagenerationMatch}`);
  }
  if (
    (p.ifGenerationNotMatch !== undefined && existing.generation === p.ifGenerationNotMatch) ||
    (p.ifMetagenerationNotMatch !== undefined && String(existing.metageneration) === p.ifMetagenerationNotMatch)
  ) {
    throw new GcsJsonError(304, 'notModified', 'Not Modified');
  }
}
