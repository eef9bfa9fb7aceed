/**
 * crm in mock mode: the contract CCAI Platform calls (accounts, records, comments,
 * attachments, the OAuth token endpoint) and the mock's admin surface. Every contract
 * request is journaled by design (crmMockJournal, excluded from the write check); anything
 * else a refused request writes is a violation.
 */
import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Category, Effect, Expectation, StepBuilder, StepResult } from '../case';
import { absurdJson, email, hostilePathSuffix, json, malformedJson, oversizedJson, phone, truncatedRaw, wrongMediaType, wrongTypeValue } from './hostile';
import { type GenContext, type Generator, httpStep, refused } from './types';
import { ACCOUNT_CREATES } from '../../../shared/crm/lookup-rules';

const MAX_JSON_BYTES = 64 * 1024;

const accounts = (n: number): Effect => ({ store: 'firestore', collection: 'crmMockAccounts', count: n });
/** The create-window claims of an account create (shared/crm/lookup-rules.ts): one per phone/email key. */
const accountCreateMarkers: Effect = { store: 'firestore-markers', collection: ACCOUNT_CREATES, atMost: 2 };
export const records = (n: number): Effect => ({ store: 'firestore', collection: 'crmMockRecords', count: n });
const comments = (n: number): Effect => ({ store: 'firestore', collection: 'crmMockComments', count: n });
const attachments = (n: number): Effect => ({ store: 'firestore', collection: 'crmMockAttachments', count: n });
/** The index document of a keyed record create holds only the record id (no marker). */
const recordKey: Effect = { store: 'firestore-unmarked', collection: 'crmMockKeys', atMost: 1 };

/** One of the three ways CCAI Platform may authenticate (OAuth tokens come from a prior step). */
export function auth(ctx: GenContext): Record<string, string> {
  const c = ctx.target.credentials;
  const header = ctx.target.env['CRM_API_KEY_HEADER'] ?? 'X-Api-Key';
  return ctx.rng.bool()
    ? { authorization: `Basic ${Buffer.from(`${c.crmBasicUser}:${c.crmBasicPassword}`).toString('base64')}` }
    : { [header.toLowerCase()]: c.crmApiKey };
}

const jsonHeaders = (ctx: GenContext) => ({ ...auth(ctx), 'content-type': 'application/json' });

/** `data.id` of an earlier answer (a create), or a placeholder that will not exist. */
export function dataId(result: StepResult | undefined): string {
  try {
    const id = (JSON.parse(result?.body.toString('utf8') ?? '') as { data?: { id?: unknown } }).data?.id;
    return typeof id === 'string' ? id : 'missing-id';
  } catch {
    return 'missing-id';
  }
}

function newAccount(ctx: GenContext): { body: Record<string, unknown>; pii: string[] } {
  const p = phone(ctx.rng, ctx.index).text;
  const e = email(ctx.rng, ctx.marker);
  return { body: { name: `${ctx.marker} Caller ${ctx.rng.alnum(4)}`, phone: p, email: e, externalId: `${ctx.marker}x${ctx.rng.alnum(6)}` }, pii: [p, e] };
}

export function newRecord(ctx: GenContext, accountId?: string): Record<string, unknown> {
  const { rng, marker } = ctx;
  return {
    ...(accountId ? { accountId } : {}),
    channel: rng.pick(['voice', 'chat', 'voice_call', 'whatsapp', 'email']),
    sessionId: `${marker}s${rng.alnum(10)}`,
    subject: `${marker} call about ${rng.pick(['billing', 'an order', 'a refund'])}`,
    queue: rng.pick(['Support', 'Sales', '']),
    direction: rng.pick(['inbound', 'outbound', '']),
  };
}

const encodeId = (id: string) => encodeURIComponent(id);

/**
 * Values the contract must refuse, per field. (Strings are valid names, notes and ids, blank
 * ones count as absent, and fractional durations are rounded — all by design — so the
 * "refused and unchanged" probes only use values no reading of the contract accepts.)
 */
const INVALID_ACCOUNT_VALUES: Record<string, unknown[]> = {
  name: [42, true, [], { a: 1 }, 'n'.repeat(201)],
  phone: ['undefined', '12', 'call me maybe', 42, { a: 1 }, '+1 415 555 0100 0100 0100'],
  email: ['undefined', 'a@', 'two@@example.com', 42, ['a@example.com']],
  externalId: [42, false, [], { a: 1 }, 'x'.repeat(201)],
};
const INVALID_WRAP_UP_VALUES: Record<string, unknown[]> = {
  status: ['reopened', 'undefined', 42, true, [], { a: 1 }],
  durationSeconds: [-1, 'ten', '12s', true, [], 1e12],
  disposition: [42, true, ['Resolved'], { a: 1 }, 'd'.repeat(201)],
  notes: [42, false, ['a'], { a: 1 }, 'n'.repeat(32_001)],
};

function describeValue(value: unknown): string {
  if (typeof value === 'string') return value.length > 40 ? `as a ${value.length}-character string` : `as ${JSON.stringify(value)}`;
  if (Array.isArray(value)) return 'as an array';
  return value === null ? 'as null' : `as ${typeof value === 'object' ? 'an object' : JSON.stringify(value)}`;
}

export const crmGenerators: Generator[] = [
  {
    name: 'crm/account-flow',
    weight: 4,
    build: (ctx) => {
      const { rng } = ctx;
      const a = newAccount(ctx);
      const search = json({ externalId: a.body['externalId'] });
      const steps: StepBuilder[] = [
        () =>
          httpStep({
            endpoint: 'crm POST /accounts',
            category: 'valid',
            proves: 'an account create is stored once',
            method: 'POST',
            path: '/crm/accounts',
            headers: jsonHeaders(ctx),
            body: json(a.body),
            pii: a.pii,
            expect: { outcome: 'accepted', status: [201], effects: [accounts(1), accountCreateMarkers] },
          }),
        () =>
          httpStep({
            endpoint: 'crm POST /accounts/search',
            category: 'valid',
            proves: 'the account is found by its external id',
            method: 'POST',
            path: '/crm/accounts/search',
            headers: jsonHeaders(ctx),
            body: search,
            expect: { outcome: 'accepted', status: [200] },
          }),
      ];
      if (rng.bool(0.5)) {
        steps.push(() =>
          httpStep({
            endpoint: 'crm POST /accounts',
            category: 'replayed',
            proves: 'a repeated account create answers the first account and stores nothing new',
            method: 'POST',
            path: '/crm/accounts',
            headers: jsonHeaders(ctx),
            body: json(a.body),
            pii: a.pii,
            expect: { outcome: 'accepted', status: [200, 201] },
          }),
        );
      }
      // A refused update must leave the account as it was: read it before and after.
      const probe = steps.length;
      steps.push(() =>
        httpStep({
          endpoint: 'crm POST /accounts/search',
          category: 'valid',
          proves: 'the account as stored',
          method: 'POST',
          path: '/crm/accounts/search',
          headers: jsonHeaders(ctx),
          body: search,
          expect: { outcome: 'accepted', status: [200] },
        }),
      );
      const method = rng.pick(['PATCH', 'PUT', 'POST']);
      const field = rng.pick(Object.keys(INVALID_ACCOUNT_VALUES));
      const value = rng.pick(INVALID_ACCOUNT_VALUES[field]!);
      const hostile = rng.pick<[string, Buffer]>([
        [`${field} ${describeValue(value)}`, json({ [field]: value })],
        ['an empty object', json({})],
        ['only blank values', json({ name: '', phone: ' ', email: '' })],
        ['broken JSON', Buffer.from('{"name":')],
      ]);
      steps.push(
        (prev) =>
          httpStep({
            endpoint: `crm ${method} /accounts/:id`,
            category: 'wrong-type',
            proves: `an account update with ${hostile[0]} is refused and changes nothing`,
            method,
            path: `/crm/accounts/${encodeId(dataId(prev[0]))}`,
            headers: jsonHeaders(ctx),
            body: hostile[1],
            expect: refused([400, 413]),
          }),
        () =>
          httpStep({
            endpoint: 'crm POST /accounts/search',
            category: 'valid',
            proves: 'the account reads the same after the refused update',
            method: 'POST',
            path: '/crm/accounts/search',
            headers: jsonHeaders(ctx),
            body: search,
            expect: { outcome: 'accepted', status: [200], sameBodyAs: probe },
          }),
      );
      return steps;
    },
  },
  {
    name: 'crm/record-flow',
    weight: 5,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const record = newRecord(ctx);
      const keyed = rng.bool(0.4);
      const recordBody = json({ ...record, ...(keyed ? { idempotencyKey: `${marker}k${rng.alnum(6)}` } : {}) });
      const commentKey = `${marker}ck${rng.alnum(6)}`;
      const caller = phone(rng).text;
      const steps: StepBuilder[] = [
        () =>
          httpStep({
            endpoint: 'crm POST /records',
            category: 'valid',
            proves: 'a record create for a session is stored once',
            method: 'POST',
            path: '/crm/records',
            headers: jsonHeaders(ctx),
            body: recordBody,
            expect: { outcome: 'accepted', status: [201], effects: [records(1), ...(keyed ? [recordKey] : [])] },
          }),
        () =>
          httpStep({
            endpoint: 'crm POST /records',
            category: 'replayed',
            proves: 'a repeated create for the same session answers the same record',
            method: 'POST',
            path: '/crm/records',
            headers: jsonHeaders(ctx),
            body: recordBody,
            expect: { outcome: 'accepted', status: [200, 201] },
          }),
        (prev) =>
          httpStep({
            endpoint: 'crm GET /records/:id',
            category: 'valid',
            proves: 'the record as stored',
            method: 'GET',
            path: `/crm/records/${encodeId(dataId(prev[0]))}`,
            headers: auth(ctx),
            expect: { outcome: 'accepted', status: [200] },
          }),
      ];
      const probe = 2;
      const method = rng.pick(['PATCH', 'PUT', 'POST']);
      const field = rng.pick(Object.keys(INVALID_WRAP_UP_VALUES));
      const value = rng.pick(INVALID_WRAP_UP_VALUES[field]!);
      steps.push(
        (prev) =>
          httpStep({
            endpoint: `crm ${method} /records/:id`,
            category: 'wrong-type',
            proves: `a wrap-up with ${field} ${describeValue(value)} is refused and changes nothing`,
            method,
            path: `/crm/records/${encodeId(dataId(prev[0]))}`,
            headers: jsonHeaders(ctx),
            body: json({ [field]: value }),
            expect: refused([400, 413]),
          }),
        (prev) =>
          httpStep({
            endpoint: 'crm GET /records/:id',
            category: 'valid',
            proves: 'the record reads the same after the refused wrap-up',
            method: 'GET',
            path: `/crm/records/${encodeId(dataId(prev[0]))}`,
            headers: auth(ctx),
            expect: { outcome: 'accepted', status: [200], sameBodyAs: probe },
          }),
      );
      const commentBody = json({ body: `${marker} customer will call back on ${caller}`, author: 'agent' });
      for (let i = 0; i < rng.int(1, 3); i++) {
        steps.push((prev) =>
          httpStep({
            endpoint: 'crm POST /records/:id/comments',
            category: i === 0 ? 'valid' : 'replayed',
            proves: i === 0 ? 'a keyed comment is stored once' : 'a comment repeated with the same Idempotency-Key is not stored again',
            method: 'POST',
            path: `/crm/records/${encodeId(dataId(prev[0]))}/comments`,
            headers: { ...jsonHeaders(ctx), 'idempotency-key': commentKey },
            body: commentBody,
            pii: [caller],
            expect: { outcome: 'accepted', status: [200, 201], effects: [comments(1)] },
          }),
        );
      }
      const attachment = rng.pick(['bytes', 'multipart', 'url']);
      const fileName = `${marker}-${rng.alnum(5)}.txt`;
      const attachmentKey = `${marker}ak${rng.alnum(5)}`;
      for (let i = 0; i < rng.int(0, 2); i++) {
        steps.push((prev) => {
          const recordId = encodeId(dataId(prev[0]));
          if (attachment === 'bytes') {
            return httpStep({
              endpoint: 'crm POST /records/:id/attachments',
              category: i === 0 ? 'valid' : 'replayed',
              proves: 'a keyed file upload is stored once',
              method: 'POST',
              path: `/crm/records/${recordId}/attachments?fileName=${encodeURIComponent(fileName)}&idempotencyKey=${attachmentKey}`,
              headers: { ...auth(ctx), 'content-type': 'text/plain' },
              body: Buffer.from(`transcript ${marker}`),
              expect: { outcome: 'accepted', status: [200, 201], effects: [attachments(1)] },
            });
          }
          if (attachment === 'multipart') {
            const boundary = `----fuzz${rng.alnum(12)}`;
            const body = Buffer.from(
              `--${boundary}\r\nContent-Disposition: form-data; ` +
                `name="idempotencyKey"\r\n\r\n${attachmentKey}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; ` +
                `filename="${fileName}"\r\nContent-Type: text/plain\r\n\r\nhello ${marker}\r\n--${boundary}--\r\n`,
            );
            return httpStep({
              endpoint: 'crm POST /records/:id/attachments',
              category: i === 0 ? 'valid' : 'replayed',
              proves: 'a keyed multipart upload is stored once',
              method: 'POST',
              path: `/crm/records/${recordId}/attachments`,
              headers: { ...auth(ctx), 'content-type': `multipart/form-data; boundary=${boundary}` },
              body,
              expect: { outcome: 'accepted', status: [200, 201], effects: [attachments(1)] },
            });
          }
          return httpStep({
            endpoint: 'crm POST /records/:id/attachments',
            category: i === 0 ? 'valid' : 'replayed',
            proves: 'a keyed link attachment is stored once',
            method: 'POST',
            path: `/crm/records/${recordId}/attachments`,
            headers: jsonHeaders(ctx),
            body: json({ fileName, url: `https://files.example/${marker}/${fileName}`, idempotencyKey: attachmentKey }),
            expect: { outcome: 'accepted', status: [200, 201], effects: [attachments(1)] },
          });
        });
      }
      return steps;
    },
  },
  {
    name: 'crm/bad-auth',
    weight: 6,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const c = ctx.target.credentials;
      const header = (ctx.target.env['CRM_API_KEY_HEADER'] ?? 'X-Api-Key').toLowerCase();
      const b64 = (s: string) => Buffer.from(s).toString('base64');
      const variants: Array<[string, Record<string, string>]> = [
        ['no credentials', {}],
        ['a wrong Basic password', { authorization: `Basic ${b64(`${c.crmBasicUser}:${c.crmBasicPassword}x`)}` }],
        ['a wrong Basic user', { authorization: `Basic ${b64(`x${c.crmBasicUser}:${c.crmBasicPassword}`)}` }],
        ['Basic without a colon', { authorization: `Basic ${b64(c.crmBasicPassword)}` }],
        ['Basic that is not base64', { authorization: 'Basic !!!***' }],
        ['"Basic" alone', { authorization: 'Basic' }],
        ['a wrong API key', { [header]: `${c.crmApiKey}x` }],
        ['an empty API key', { [header]: '' }],
        ['the API key in the wrong header', { 'x-api-token': c.crmApiKey }],
        ['the API key as a Bearer token', { authorization: `Bearer ${c.crmApiKey}` }],
        ['a Bearer token that is not a JWT', { authorization: `Bearer ${rng.alnum(40)}` }],
        ['an unsigned JWT', { authorization: `Bearer ${b64('{"alg":"none"}').replace(/=+$/, '')}.${b64('{"sub":"ccaip-client"}').replace(/=+$/, '')}.` }],
        ['the admin token', { authorization: `Bearer ${c.crmAdminToken}` }],
        ['the OAuth client secret as a password', { authorization: `Basic ${b64(`${c.crmOauthClientId}:${c.crmOauthClientSecret}`)}` }],
      ];
      const [what, headers] = rng.pick(variants);
      const routes: Array<[string, string, string, Buffer | undefined]> = [
        ['crm POST /accounts', 'POST', '/crm/accounts', json(newAccount(ctx).body)],
        ['crm POST /accounts/search', 'POST', '/crm/accounts/search', json({ externalId: `${marker}x` })],
        ['crm GET /accounts', 'GET', `/crm/accounts?externalId=${marker}x`, undefined],
        ['crm POST /records', 'POST', '/crm/records', json(newRecord(ctx))],
        ['crm GET /records/:id', 'GET', `/crm/records/REC-${marker}`, undefined],
        ['crm POST /records/:id/comments', 'POST', `/crm/records/REC-${marker}/comments`, json({ body: marker })],
        ['crm PATCH /records/:id', 'PATCH', `/crm/records/REC-${marker}`, json({ status: 'closed' })],
      ];
      const [endpoint, method, path, body] = rng.pick(routes);
      return [
        () =>
          httpStep({
            endpoint,
            category: 'wrong-signature',
            proves: `${method} with ${what} is refused (401, WWW-Authenticate) and writes nothing but its journal entry`,
            method,
            path,
            headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
            ...(body ? { body } : {}),
            expect: refused([401]),
          }),
      ];
    },
  },
  {
    name: 'crm/bad-body',
    weight: 9,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const a = newAccount(ctx);
      const targets: Array<[string, string, Record<string, unknown>, Effect[]]> = [
        ['crm POST /accounts', '/crm/accounts', a.body, [accounts(1), accountCreateMarkers]],
        ['crm POST /accounts/search', '/crm/accounts/search', { externalId: a.body['externalId'] }, []],
        ['crm POST /records', '/crm/records', newRecord(ctx), [records(1)]],
        ['crm POST /records/search', '/crm/records/search', { sessionId: `${marker}s` }, []],
      ];
      const [endpoint, path, valid, effects] = rng.pick(targets);
      const text = JSON.stringify(valid);
      const pick = rng.int(0, 4);
      let what: string;
      let body: Buffer;
      let headers: Record<string, string>;
      let category: Category = 'malformed';
      let expect: Expectation = refused();
      if (pick === 0) {
        const v = malformedJson(rng, text);
        ({ what, body, headers } = v);
      } else if (pick === 1) {
        const v = wrongMediaType(rng, text);
        ({ what, body, headers } = v);
        // The contract reads JSON whatever the label (CCAI Platform templates send odd types).
        if (v.mayBeAccepted) expect = { outcome: 'handled', effects };
      } else if (pick === 2) {
        const v = absurdJson(rng, marker);
        ({ what, body, headers } = v);
        category = 'wrong-type';
        expect = refused([400, 413]);
      } else if (pick === 3) {
        const v = oversizedJson(rng, marker, MAX_JSON_BYTES);
        ({ what, body, headers } = v);
        category = 'oversized';
        expect = refused([413]);
      } else {
        // Not the identity fields of a create: a wrong value there ("undefined") is a valid id
        // shared by every case that draws it, and the first one's record would answer for all.
        const fields = Object.keys(valid).filter((f) => !(effects.length > 0 && (f === 'externalId' || f === 'sessionId')));
        const field = rng.pick(fields);
        const wrong = wrongTypeValue(rng, marker);
        what = `${field} as ${wrong.what}`;
        body = json({ ...valid, [field]: wrong.value });
        headers = { 'content-type': 'application/json' };
        category = 'wrong-type';
        // Blank template values count as absent by contract; other fields may still make it valid.
        expect = { outcome: 'handled', effects };
      }
      return [
        () =>
          httpStep({
            endpoint,
            category,
            proves:
              `a body with ${what} is refused with a message naming the ` +
              `problem${expect.outcome === 'handled' ? ' (or, if still valid, stored once)' : ''}`,
            method: 'POST',
            path,
            headers: { ...auth(ctx), ...headers },
            body,
            pii: a.pii,
            expect,
          }),
      ];
    },
  },
  {
    name: 'crm/ids',
    weight: 4,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const caller = phone(rng).text;
      const { what, suffix } = hostilePathSuffix(rng, marker);
      const variants: Array<[string, string, string, string, Buffer | undefined, number[]]> = [
        ['a phone number as the account id', 'crm PATCH /accounts/:id', 'PATCH', `/crm/accounts/${encodeURIComponent(caller)}`, json({ name: marker }), [404]],
        ['an account id that does not exist', 'crm PUT /accounts/:id', 'PUT', `/crm/accounts/ACC-${marker}`, json({ name: marker }), [404]],
        ['a record id that does not exist', 'crm GET /records/:id', 'GET', `/crm/records/REC-${marker}`, undefined, [200]],
        ['a 201-character record id', 'crm GET /records/:id', 'GET', `/crm/records/${marker}${'r'.repeat(201)}`, undefined, [400]],
        ['a missing record id', 'crm POST /records/:id/comments', 'POST', '/crm/records//comments', json({ body: marker }), [400]],
        ['a missing record id', 'crm POST /records/:id/attachments', 'POST', '/crm/records//attachments?fileName=a.txt', Buffer.from(marker), [400]],
        ['a missing account id', 'crm PATCH /accounts/:id', 'PATCH', '/crm/accounts/', json({ name: marker }), [400]],
        [
          'a comment on a record that does not exist',
          'crm POST /records/:id/comments',
          'POST',
          `/crm/records/REC-${marker}/comments`,
          json({ body: marker }),
          [404],
        ],
        [`a record id with ${what}`, 'crm GET /records/:id', 'GET', `/crm/records${suffix}`, undefined, [200, 400, 404, 431]],
        [`an account path with ${what}`, 'crm PATCH /accounts/:id', 'PATCH', `/crm/accounts${suffix}`, json({ name: marker }), [400, 404, 405, 431]],
        ['a phone number as the record id', 'crm GET /records/:id', 'GET', `/crm/records/${encodeURIComponent(caller)}`, undefined, [200]],
      ];
      const [idWhat, endpoint, method, path, body, status] = rng.pick(variants);
      // A lookup of an id that does not exist is "not found" in the contract: 200 {found: false}.
      const lookup = status.length === 1 && status[0] === 200;
      return [
        () =>
          httpStep({
            endpoint,
            category: 'wrong-type',
            proves: `${method} with ${idWhat} answers ${status.join('/')} and writes nothing`,
            method,
            path,
            headers: { ...auth(ctx), ...(body ? { 'content-type': path.includes('attachments') ? 'text/plain' : 'application/json' } : {}) },
            ...(body ? { body } : {}),
            pii: [caller],
            // Odd paths may still name a record (a lookup of a strange id is a 200 "not found").
            expect: lookup ? { outcome: 'accepted', status } : status.includes(431) ? { outcome: 'handled', status, errorShape: 'protocol' } : refused(status),
          }),
      ];
    },
  },
  {
    name: 'crm/attachments',
    weight: 4,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const bucket = ctx.target.env['ARCHIVE_BUCKET'] ?? 'ccbridge-archive';
      const boundary = `----fuzz${rng.alnum(10)}`;
      const part = (headers: string, content: string) => `--${boundary}\r\n${headers}\r\n\r\n${content}\r\n`;
      const fileName = `${marker}.txt`;
      const variants: Array<[string, Record<string, string>, Buffer, string, number[]]> = [
        [
          'a multipart body without its closing boundary',
          { 'content-type': `multipart/form-data; boundary=${boundary}` },
          Buffer.from(part(`Content-Disposition: form-data; name="file"; filename="${fileName}"`, marker)),
          '',
          [400],
        ],
        [
          'a multipart body with another boundary',
          { 'content-type': `multipart/form-data; boundary=${boundary}x` },
          Buffer.from(`${part(`Content-Disposition: form-data; name="file"; filename="${fileName}"`, marker)}--${boundary}--\r\n`),
          '',
          [400],
        ],
        [
          'a multipart part without headers',
          { 'content-type': `multipart/form-data; boundary=${boundary}` },
          Buffer.from(`--${boundary}\r\n${marker}--${boundary}--\r\n`),
          '',
          [400],
        ],
        [
          'a multipart upload without a file part',
          { 'content-type': `multipart/form-data; boundary=${boundary}` },
          Buffer.from(`${part('Content-Disposition: form-data; name="other"', marker)}--${boundary}--\r\n`),
          '',
          [400],
        ],
        [
          'an empty multipart file',
          { 'content-type': `multipart/form-data; boundary=${boundary}` },
          Buffer.from(`${part(`Content-Disposition: form-data; name="file"; filename="${fileName}"`, '')}--${boundary}--\r\n`),
          '',
          [400],
        ],
        ['a file name with a slash', { 'content-type': 'text/plain' }, Buffer.from(marker), `?fileName=${encodeURIComponent(`../${fileName}`)}`, [400]],
        ['no file name', { 'content-type': 'text/plain' }, Buffer.from(marker), '', [400]],
        ['an empty file', { 'content-type': 'text/plain' }, Buffer.alloc(0), `?fileName=${fileName}`, [400]],
        ['an invalid media type', { 'content-type': 'not a media type' }, Buffer.from(marker), `?fileName=${fileName}`, [400]],
        ['two sources at once', { 'content-type': 'application/json' }, json({ fileName, url: 'https://files.example/a', contentBase64: 'aGk=' }), '', [400]],
        ['a file: URL', { 'content-type': 'application/json' }, json({ fileName, url: 'file:///etc/passwd' }), '', [400]],
        ['a javascript: URL', { 'content-type': 'application/json' }, json({ fileName, url: `javascript:alert('${marker}')` }), '', [400]],
        [
          'an object in a bucket that is not allowed',
          { 'content-type': 'application/json' },
          json({ fileName, object: `gs://other-bucket/${marker}` }),
          '',
          [400],
        ],
        [
          'an object that does not exist',
          { 'content-type': 'application/json' },
          json({ fileName, object: `gs://${bucket}/${marker}/missing.txt` }),
          '',
          [404],
        ],
        ['an object path with ..', { 'content-type': 'application/json' }, json({ fileName, object: `gs://${bucket}/../${marker}` }), '', [400, 404]],
        ['base64 that is not base64', { 'content-type': 'application/json' }, json({ fileName, contentBase64: '***not base64***' }), '', [400]],
        [
          'differing idempotency keys',
          { 'content-type': 'application/json', 'idempotency-key': `${marker}a` },
          json({ fileName, url: 'https://files.example/a', idempotencyKey: `${marker}b` }),
          '',
          [400],
        ],
      ];
      const [what, headers, body, query, status] = rng.pick(variants);
      const record = newRecord(ctx);
      return [
        () =>
          httpStep({
            endpoint: 'crm POST /records',
            category: 'valid',
            proves: 'the record to attach to is created',
            method: 'POST',
            path: '/crm/records',
            headers: jsonHeaders(ctx),
            body: json(record),
            expect: { outcome: 'accepted', status: [201], effects: [records(1)] },
          }),
        (prev) =>
          httpStep({
            endpoint: 'crm POST /records/:id/attachments',
            category: 'malformed',
            proves: `an attachment with ${what} is refused (${status.join('/')}) and stores nothing`,
            method: 'POST',
            path: `/crm/records/${encodeId(dataId(prev[0]))}/attachments${query}`,
            headers: { ...auth(ctx), ...headers },
            body,
            expect: refused(status),
          }),
      ];
    },
  },
  {
    name: 'crm/oversized-file',
    // 25 MiB is the attachment limit; one such upload costs ~100 ms on loopback.
    weight: 0.3,
    build: (ctx) => {
      const size = 25 * 1024 * 1024 + ctx.rng.int(1, 1024 * 1024);
      return [
        () =>
          httpStep({
            endpoint: 'crm POST /records/:id/attachments',
            category: 'oversized',
            proves: `a ${size}-byte file over the 25 MiB limit is refused (413) and stores nothing`,
            method: 'POST',
            path: `/crm/records/REC-${ctx.marker}/attachments?fileName=${ctx.marker}.bin`,
            headers: { ...auth(ctx), 'content-type': 'application/octet-stream' },
            body: Buffer.alloc(size, 7),
            expect: refused([413]),
          }),
      ];
    },
  },
  {
    name: 'crm/oauth',
    weight: 4,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const c = ctx.target.credentials;
      const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
      const form = (v: Record<string, string>) => Buffer.from(new URLSearchParams(v).toString());
      const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
      const variants: Array<[string, Record<string, string>, Buffer, Category, number[]]> = [
        [
          'client credentials in Basic',
          { ...formHeaders, authorization: basic(c.crmOauthClientId, c.crmOauthClientSecret) },
          form({ grant_type: 'client_credentials' }),
          'valid',
          [200],
        ],
        [
          'client credentials in the form',
          formHeaders,
          form({ grant_type: 'client_credentials', client_id: c.crmOauthClientId, client_secret: c.crmOauthClientSecret }),
          'valid',
          [200],
        ],
        [
          'a wrong client secret',
          formHeaders,
          form({ grant_type: 'client_credentials', client_id: c.crmOauthClientId, client_secret: `${c.crmOauthClientSecret}x` }),
          'wrong-signature',
          [401],
        ],
        [
          'an unknown client',
          { ...formHeaders, authorization: basic(`${marker}client`, c.crmOauthClientSecret) },
          form({ grant_type: 'client_credentials' }),
          'wrong-signature',
          [401],
        ],
        ['no client credentials', formHeaders, form({ grant_type: 'client_credentials' }), 'wrong-signature', [401]],
        ['no grant type', formHeaders, form({ client_id: c.crmOauthClientId, client_secret: c.crmOauthClientSecret }), 'wrong-type', [400]],
        ['the password grant', formHeaders, form({ grant_type: 'password', username: marker, password: marker }), 'wrong-type', [400]],
        ['parameters as arrays', formHeaders, Buffer.from(`grant_type=client_credentials&client_id[]=${marker}&client_secret[a]=b`), 'wrong-type', [400]],
        [
          'a 600-character secret',
          formHeaders,
          form({ grant_type: 'client_credentials', client_id: c.crmOauthClientId, client_secret: 's'.repeat(600) }),
          'oversized',
          [400],
        ],
        [
          'a JSON body with a wrong secret',
          { 'content-type': 'application/json' },
          json({ grant_type: 'client_credentials', client_id: c.crmOauthClientId, client_secret: marker }),
          'wrong-signature',
          [401],
        ],
      ];
      if (rng.bool(0.3)) {
        // Tokens as the function signs them (key derived from the client secret), but expired or for another client.
        const key = createHmac('sha256', c.crmOauthClientSecret).update('ccbridge-crm-oauth-token-signing-v1').digest();
        const [label, claims] = rng.pick<[string, Record<string, unknown>]>([
          ['an expired token', { sub: c.crmOauthClientId, iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }],
          ['a token of another client', { sub: `${marker}client`, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 }],
          [
            'a token for another audience',
            { sub: c.crmOauthClientId, aud: 'elsewhere', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 },
          ],
        ]);
        return [
          async () => {
            const token = await new SignJWT({ scope: 'crm', iss: 'ccbridge-crm', aud: 'ccbridge-crm', ...claims })
              .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
              .sign(key);
            return httpStep({
              endpoint: 'crm POST /accounts/search',
              category: 'replayed',
              proves: `a lookup with ${label} is refused (401) and writes nothing but its journal entry`,
              method: 'POST',
              path: '/crm/accounts/search',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: json({ externalId: `${marker}none` }),
              credentials: [token],
              expect: refused([401]),
            });
          },
        ];
      }
      const [what, headers, body, category, status] = rng.pick(variants);
      const steps: StepBuilder[] = [
        () =>
          httpStep({
            endpoint: 'crm POST /oauth/token',
            category,
            proves: `a token request with ${what} answers ${status.join('/')} in OAuth's error shape when refused`,
            method: 'POST',
            path: '/crm/oauth/token',
            headers,
            body,
            expect: status[0] === 200 ? { outcome: 'accepted', status } : { ...refused(status), errorShape: 'oauth' },
          }),
      ];
      if (status[0] === 200) {
        const tamper = rng.bool();
        steps.push((prev) => {
          let token = '';
          try {
            token = String((JSON.parse(prev[0]?.body.toString('utf8') ?? '{}') as { access_token?: unknown }).access_token ?? '');
          } catch {
            token = '';
          }
          const [h, p, s] = token.split('.');
          const forgedPayload = Buffer.from(JSON.stringify({ sub: c.crmOauthClientId, exp: 9_999_999_999, iss: 'ccbridge-crm', aud: 'ccbridge-crm' }));
          const forged = `${h}.${forgedPayload.toString('base64url')}.${s}`;
          return httpStep({
            endpoint: 'crm POST /accounts/search',
            category: tamper ? 'wrong-signature' : 'valid',
            proves: tamper ? 'a token whose payload was swapped is refused' : 'the issued token authenticates a lookup',
            method: 'POST',
            path: '/crm/accounts/search',
            headers: { authorization: `Bearer ${tamper ? forged : token}`, 'content-type': 'application/json' },
            body: json({ externalId: `${marker}none` }),
            credentials: [token, ...(p ? [forged] : [])],
            expect: tamper ? refused([401]) : { outcome: 'accepted', status: [200] },
          });
        });
      }
      return steps;
    },
  },
  {
    name: 'crm/admin',
    weight: 3,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const admin = ctx.target.credentials.crmAdminToken;
      const good = { authorization: `Bearer ${admin}` };
      const variants: Array<[string, string, string, string, Record<string, string>, Buffer | undefined, Expectation]> = [
        ['reset without the admin token', 'POST', '/crm/admin/reset', 'crm POST /admin/reset', {}, undefined, refused([401])],
        ['reset with a wrong admin token', 'POST', '/crm/admin/reset', 'crm POST /admin/reset', { 'x-admin-token': `${admin}x` }, undefined, refused([401])],
        ['reset with the contract credentials', 'POST', '/crm/admin/reset', 'crm POST /admin/reset', auth(ctx), undefined, refused([401])],
        [
          'reset with options of the wrong type',
          'POST',
          '/crm/admin/reset',
          'crm POST /admin/reset',
          { ...good, 'content-type': 'application/json' },
          json({ journal: 'yes' }),
          refused([400]),
        ],
        [
          'reset with an unknown option',
          'POST',
          '/crm/admin/reset',
          'crm POST /admin/reset',
          { ...good, 'content-type': 'application/json' },
          json({ everything: true, marker }),
          refused([400]),
        ],
        [
          'reset with broken JSON',
          'POST',
          '/crm/admin/reset',
          'crm POST /admin/reset',
          { ...good, 'content-type': 'application/json' },
          Buffer.from('{"journal":'),
          refused([400]),
        ],
        [
          'a fault without the admin token',
          'POST',
          '/crm/admin/faults',
          'crm POST /admin/faults',
          { 'content-type': 'application/json' },
          json({ operation: 'createRecord', status: 503, note: marker }),
          refused([401]),
        ],
        [
          'a fault with a success status',
          'POST',
          '/crm/admin/faults',
          'crm POST /admin/faults',
          { ...good, 'content-type': 'application/json' },
          json({ operation: 'createRecord', status: 200, note: marker }),
          refused([400]),
        ],
        [
          'a fault for an unknown operation',
          'POST',
          '/crm/admin/faults',
          'crm POST /admin/faults',
          { ...good, 'content-type': 'application/json' },
          json({ operation: `${marker}op`, status: 503 }),
          refused([400]),
        ],
        [
          'a fault with both operation and endpoint',
          'POST',
          '/crm/admin/faults',
          'crm POST /admin/faults',
          { ...good, 'content-type': 'application/json' },
          json({ operation: 'createRecord', endpoint: 'POST /records', status: 503, note: marker }),
          refused([400]),
        ],
        [
          'a fault with nothing to do',
          'POST',
          '/crm/admin/faults',
          'crm POST /admin/faults',
          { ...good, 'content-type': 'application/json' },
          json({ operation: 'createRecord', note: marker }),
          refused([400]),
        ],
        [
          'a fault list with one bad entry',
          'POST',
          '/crm/admin/faults',
          'crm POST /admin/faults',
          { ...good, 'content-type': 'application/json' },
          json({ faults: [{ operation: 'findAccount', latencyMs: 1, times: 1, note: marker }, { operation: 'nope' }] }),
          refused([400]),
        ],
        ['clearing faults without the admin token', 'DELETE', '/crm/admin/faults', 'crm DELETE /admin/faults', {}, undefined, refused([401])],
        ['deleting a fault without the admin token', 'DELETE', `/crm/admin/faults/F-${marker}`, 'crm DELETE /admin/faults/:id', {}, undefined, refused([401])],
        ['the journal with a limit that is not a number', 'GET', '/crm/admin/journal?limit=lots', 'crm GET /admin/journal', good, undefined, refused([400])],
        ['the journal with a limit of 0', 'GET', '/crm/admin/journal?limit=0', 'crm GET /admin/journal', good, undefined, refused([400])],
        ['the journal without the admin token', 'GET', '/crm/admin/journal', 'crm GET /admin/journal', {}, undefined, refused([401])],
        [
          'the data dump with a Basic admin token',
          'GET',
          '/crm/admin/data',
          'crm GET /admin/data',
          { authorization: `Basic ${Buffer.from(`admin:${admin}`).toString('base64')}` },
          undefined,
          { outcome: 'accepted', status: [200] },
        ],
        [
          'the session page without the admin token',
          'GET',
          `/crm/admin/view/sessions/${marker}`,
          'crm GET /admin/view/sessions/:id',
          {},
          undefined,
          refused([401]),
        ],
        [
          'the record page of an unknown record',
          'GET',
          `/crm/admin/view/records/REC-${marker}`,
          'crm GET /admin/view/records/:id',
          good,
          undefined,
          refused([404]),
        ],
        [
          'a session page with markup in its id',
          'GET',
          `/crm/admin/view/sessions/${encodeURIComponent(`<script>${marker}</script>`)}`,
          'crm GET /admin/view/sessions/:id',
          good,
          undefined,
          { outcome: 'accepted', status: [200] },
        ],
      ];
      const [what, method, path, endpoint, headers, body, expect] = rng.pick(variants);
      return [
        () =>
          httpStep({
            endpoint,
            category: expect.outcome === 'accepted' ? 'valid' : 'wrong-signature',
            proves:
              `the mock's admin surface: ${what} ` +
              `${expect.outcome === 'accepted' ? 'is answered' : `is refused (${expect.status?.join('/')})`} and changes nothing`,
            method,
            path,
            headers,
            ...(body ? { body } : {}),
            credentials: [admin],
            expect,
          }),
      ];
    },
  },
  {
    name: 'crm/truncated',
    weight: 3,
    build: (ctx) => {
      const a = newAccount(ctx);
      const t = truncatedRaw(ctx.rng, { transport: 'http', method: 'POST', path: '/crm/accounts', headers: jsonHeaders(ctx), body: json(a.body) });
      return [
        () => ({
          endpoint: 'crm POST /accounts',
          category: 'truncated',
          proves: `an account create sent with ${t.what} stores nothing`,
          request: t.raw,
          pii: a.pii,
          expect: { outcome: t.answers === 'none' ? 'cut' : 'rejected', errorShape: 'protocol' },
        }),
      ];
    },
  },
];
