/**
 * crm attacks of issue #13: malformed multipart parameters (RFC 5987 `filename*` and
 * friends) → 400, an `object` attachment reaching for a file that is not the record's own →
 * 404, and the admin's state-changing calls with Basic credentials (what a browser caches and
 * replays cross-site) → 401. Each follows a genuine record create, so a refused step that
 * wrote anything (an attachment, a reset of every other case's data) is found by the store
 * check.
 */
import type { StepBuilder } from '../case';
import { auth, dataId, newRecord, records } from './crm';
import { json } from './hostile';
import { type GenContext, type Generator, httpStep, refused } from './types';

function createRecord(ctx: GenContext): StepBuilder {
  return () =>
    httpStep({
      endpoint: 'crm POST /records',
      category: 'valid',
      proves: 'a record create for a session is stored once',
      method: 'POST',
      path: '/crm/records',
      headers: { ...auth(ctx), 'content-type': 'application/json' },
      body: json(newRecord(ctx)),
      expect: { outcome: 'accepted', status: [201], effects: [records(1)] },
    });
}

export const crmSecurityGenerators: Generator[] = [
  {
    name: 'crm/multipart-parameters',
    weight: 2,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const boundary = `----fuzz${rng.alnum(12)}`;
      const dispositions: Array<[string, string]> = [
        ['a filename* with broken percent-encoding', `form-data; name="file"; filename*=UTF-8''${marker}%E0%A4%A`],
        ['a filename* that is not UTF-8', `form-data; name="file"; filename*=UTF-8''${marker}%FF%FE%C3`],
        ['a filename* in a charset RFC 5987 does not require', `form-data; name="file"; filename*=KOI8-R''${marker}%C1%C2`],
        ['a filename* without charset and language', `form-data; name="file"; filename*=${marker}.txt`],
        ['an empty filename*', `form-data; name="file"; filename*=UTF-8''`],
        ['a filename* with a quoted value', `form-data; name="file"; filename*="UTF-8''${marker}.txt"`],
        ['a filename* with a bare percent sign', `form-data; name="file"; filename*=UTF-8''${marker}%.txt`],
        ['a filename* naming a path', `form-data; name="file"; filename*=UTF-8''..%2F..%2F${marker}`],
      ];
      const [what, disposition] = rng.pick(dispositions);
      const body = Buffer.from(
        `--${boundary}\r\nContent-Disposition: ${disposition}\r\nContent-Type: text/plain\r\n\r\nhello ${marker}\r\n--${boundary}--\r\n`,
      );
      return [
        createRecord(ctx),
        (prev) =>
          httpStep({
            endpoint: 'crm POST /records/:id/attachments',
            category: 'malformed',
            proves: `a multipart upload with ${what} is a 400 naming the problem, and stores nothing`,
            method: 'POST',
            path: `/crm/records/${encodeURIComponent(dataId(prev[0]))}/attachments`,
            headers: { ...auth(ctx), 'content-type': `multipart/form-data; boundary=${boundary}` },
            body,
            expect: refused([400]),
          }),
      ];
    },
  },
  {
    name: 'crm/object-attachment',
    weight: 1,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const objects = [
        `gs://ccbridge-archive/zoom/2026/11/20/${marker}other/recording-r1.mp3`,
        `gs://ccbridge-ccai-external/call-${marker}other.mp3`,
        `ccbridge-archive/zoom/2026/11/20/${marker}/recording-r1.mp3`,
        `gs://ccbridge-archive/${marker}/../secrets.json`,
      ];
      const object = rng.pick(objects);
      return [
        createRecord(ctx),
        (prev) =>
          httpStep({
            endpoint: 'crm POST /records/:id/attachments',
            category: 'wrong-signature',
            proves: `an object attachment of ${object}, not one of the record's own artifacts, is refused and copies nothing`,
            method: 'POST',
            path: `/crm/records/${encodeURIComponent(dataId(prev[0]))}/attachments`,
            headers: { ...auth(ctx), 'content-type': 'application/json' },
            body: json({ fileName: `${marker}.mp3`, object }),
            expect: refused([400, 404]),
          }),
      ];
    },
  },
  {
    name: 'crm/admin-basic',
    weight: 1,
    build: (ctx) => {
      const { rng } = ctx;
      const token = ctx.target.credentials.crmAdminToken;
      const calls: Array<[string, string, string, Buffer | undefined]> = [
        ['crm POST /admin/reset', 'POST', '/crm/admin/reset', json({ journal: true, faults: true })],
        ['crm POST /admin/faults', 'POST', '/crm/admin/faults', json({ operation: '*', status: 500 })],
        ['crm DELETE /admin/faults', 'DELETE', '/crm/admin/faults', undefined],
      ];
      const [endpoint, method, path, body] = rng.pick(calls);
      return [
        createRecord(ctx),
        () =>
          httpStep({
            endpoint,
            category: 'wrong-signature',
            proves:
              `${method} ${path} with the admin token as Basic ` +
              `credentials (a browser's cached login, replayed ` +
              `cross-site) is refused and changes nothing`,
            method,
            path,
            headers: { authorization: `Basic ${Buffer.from(`admin:${token}`).toString('base64')}`, ...(body ? { 'content-type': 'application/json' } : {}) },
            ...(body ? { body } : {}),
            credentials: [token],
            expect: refused([401]),
          }),
      ];
    },
  },
];
