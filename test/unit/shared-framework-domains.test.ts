/**
 * No Node domain per request (shared/http/framework-domains.ts): with what the entry files
 * install, the real Functions Framework runs an HTTP function outside any domain — at its start
 * and after an await, where a domain would have followed it — and still answers the function's
 * rejection with its 500; as the Framework ships (the control), both run in a domain. Each mode
 * is a process of its own (test/support/framework-domain-probe.ts): the install acts on the
 * whole process, and so do a domain's hooks once one exists.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import domain from 'node:domain';
import { once } from 'node:events';
import { type DomainModuleLike, installPlainRequestScopes, PlainRequestScope } from '../../shared/http/framework-domains';
import { announcedPort } from '../support/announced-server';

async function probe(mode: 'stock' | 'entry'): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/framework-domain-probe.ts', mode], { stdio: ['pipe', 'pipe', 'pipe'] });
  return { url: `http://127.0.0.1:${await announcedPort(child)}`, child };
}

async function observe(mode: 'stock' | 'entry') {
  const { url, child } = await probe(mode);
  try {
    const first = await (await fetch(`${url}/`)).json();
    const rejected = await fetch(`${url}/reject`);
    const after = await (await fetch(`${url}/`)).json();
    return { first, rejected: { status: rejected.status, crash: rejected.headers.get('x-google-status') }, after };
  } finally {
    child.stdin!.end();
    await once(child, 'exit');
  }
}

test('as the Framework ships, an HTTP function runs in a domain at its start and after an await (the control)', async () => {
  const seen = await observe('stock');
  expect(seen.first).toEqual({ atStart: true, afterAwait: true });
  expect(seen.rejected).toEqual({ status: 500, crash: 'crash' });
  expect(seen.after).toEqual({ atStart: true, afterAwait: true });
}, 30_000);

test('after what the entry files install, it runs in no domain; a rejection is still answered 500 and the instance goes on serving', async () => {
  const seen = await observe('entry');
  expect(seen.first).toEqual({ atStart: false, afterAwait: false });
  expect(seen.rejected).toEqual({ status: 500, crash: 'crash' });
  expect(seen.after).toEqual({ atStart: false, afterAwait: false });
}, 30_000);

test('create() then gives plain scopes: run calls its function with its arguments now, and what it throws is thrown', () => {
  const target: DomainModuleLike = { create: () => domain.create() };
  installPlainRequestScopes(target);
  const scope = target.create() as PlainRequestScope;
  expect(scope).toBeInstanceOf(PlainRequestScope);
  const errors: unknown[] = [];
  scope.on('error', (err) => errors.push(err));
  expect(scope.run((a: number, b: number) => a + b, 2, 3)).toBe(5);
  expect(() =>
    scope.run(() => {
      throw new Error('thrown in run');
    }),
  ).toThrow('thrown in run');
  // No domain was entered: nothing is active during or after the call.
  expect(scope.run(() => Reflect.get(process, 'domain'))).toBeFalsy();
  expect(errors).toEqual([]);
});

test('installing twice changes nothing more; new Domain() still makes a real domain', () => {
  const target: DomainModuleLike = { create: () => domain.create() };
  installPlainRequestScopes(target);
  const installed = target.create;
  installPlainRequestScopes(target);
  expect(target.create).toBe(installed);
  expect(new domain.Domain()).not.toBeInstanceOf(PlainRequestScope);
});
