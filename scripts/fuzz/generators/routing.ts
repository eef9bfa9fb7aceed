/**
 * What every function gets before its routes: paths and methods it does not serve, broken
 * percent-encodings, oversized headers, and bodies the Functions Framework itself must
 * refuse (bad charset, unknown content-encoding, broken JSON) — on any of the functions.
 */
import { hostilePathSuffix, json, malformedJson, oversizedHeaders, wrongMediaType } from './hostile';
import { type Generator, httpStep, invokerHeaders, refused } from './types';

const FUNCTIONS = ['crm', 'ui-connector', 'zoom-webhook', 'reconcile', 'interaction-worker'];

export const routingGenerators: Generator[] = [
  {
    name: 'routing/unknown',
    weight: 4,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const fn = rng.pick(FUNCTIONS);
      const variants: Array<[string, string, string, number[]]> = [
        ['a path it does not serve', rng.pick(['GET', 'POST', 'DELETE']), `/${fn}/${marker}/nothing-here`, [404, 405]],
        ['a method it does not serve', rng.pick(['PUT', 'PATCH', 'TRACE']), `/${fn}/`, [404, 405]],
        ['a browser asset path', 'GET', `/${fn}/${rng.pick(['favicon.ico', 'robots.txt'])}`, [404]],
        ['HEAD on a path it does not serve', 'HEAD', `/${fn}/${marker}`, [404, 405]],
        ['OPTIONS without CORS', 'OPTIONS', `/${fn}/`, [404, 405]],
        ...(() => {
          const p = hostilePathSuffix(rng, marker);
          return [[`a path with ${p.what}`, rng.pick(['GET', 'POST']), `/${fn}${p.suffix}`, [400, 404, 405]] as [string, string, string, number[]]];
        })(),
      ];
      const [what, method, path, status] = rng.pick(variants);
      return [
        async () =>
          httpStep({
            endpoint: `${fn} (other routes)`,
            category: 'malformed',
            proves: `${method} to ${what} is refused with a JSON error naming it, and writes nothing`,
            method,
            path,
            ...(method === 'POST'
              ? { headers: { 'content-type': 'application/json', ...(await invokerHeaders(ctx, fn)) }, body: json({ marker }) }
              : { headers: await invokerHeaders(ctx, fn) }),
            expect: refused(status),
          }),
      ];
    },
  },
  {
    name: 'routing/framework',
    weight: 6,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const fn = rng.pick(FUNCTIONS);
      const path = rng.pick(
        {
          crm: ['/crm/accounts', '/crm/records'],
          'ui-connector': ['/ui-connector/conversation-name', '/ui-connector/register-app'],
          'zoom-webhook': ['/zoom-webhook/'],
          reconcile: ['/reconcile/'],
          'interaction-worker': ['/interaction-worker/'],
        }[fn]!,
      );
      const valid = JSON.stringify({ marker });
      const pick = rng.int(0, 2);
      const v = pick === 0 ? malformedJson(rng, valid) : pick === 1 ? { ...wrongMediaType(rng, valid), category: 'malformed' as const } : undefined;
      if (!v?.framework) {
        const h = oversizedHeaders(rng, marker);
        return [
          async () =>
            httpStep({
              endpoint: `${fn} (any route)`,
              category: 'oversized',
              proves: `a request with ${h.what} is refused (431 by the HTTP parser, or a JSON 4xx) and writes nothing`,
              method: 'POST',
              path,
              headers: { ...(await invokerHeaders(ctx, fn)), ...h.headers, 'content-type': 'application/json' },
              body: json({ marker }),
              expect: { outcome: 'rejected', errorShape: 'protocol' },
            }),
        ];
      }
      return [
        async () =>
          httpStep({
            endpoint: `${fn} (any route)`,
            category: v.category,
            proves: `a body with ${v.what} is refused before the function runs, with a JSON error naming the problem`,
            method: 'POST',
            path,
            headers: { ...v.headers, ...(await invokerHeaders(ctx, fn)) },
            body: v.body,
            expect: refused(),
          }),
      ];
    },
  },
];
