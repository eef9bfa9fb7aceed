/**
 * Ports loaded on first use (shared/lazy): loading and calls start outside the Functions
 * Framework's per-request domain, and results and errors still reach the caller. The domains here
 * are made with `new Domain()`: the entry files give `domain.create()` callers plain scopes
 * (shared/http/framework-domains.ts), and a test file may share its process with one that installed it.
 */
import domain from 'node:domain';
import { deferMethods, outsideRequestDomain } from '../../shared/lazy';

const activeDomain = () => Reflect.get(process, 'domain') as unknown;

function inRequestDomain<T>(run: () => Promise<T>): Promise<T> {
  const d = new domain.Domain();
  return new Promise<T>((resolve, reject) => d.run(() => void run().then(resolve, reject)));
}

test('outsideRequestDomain runs without the active domain and re-enters it afterwards, also on a throw', () => {
  const d = new domain.Domain();
  d.run(() => {
    expect(activeDomain()).toBe(d);
    expect(outsideRequestDomain(() => activeDomain())).toBeFalsy();
    expect(activeDomain()).toBe(d);
    expect(() =>
      outsideRequestDomain(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(activeDomain()).toBe(d);
  });
});

test('a deferred port loads and runs its methods outside the request domain; results and rejections come back', async () => {
  const seen: unknown[] = [];
  let loads = 0;
  const port = deferMethods<{ get(id: string): Promise<string>; fail(): Promise<never> }>(async () => {
    loads++;
    seen.push(activeDomain());
    return {
      async get(id) {
        seen.push(activeDomain());
        return `doc ${id}`;
      },
      async fail() {
        throw new Error('unavailable');
      },
    };
  }, ['get', 'fail']);
  expect(await inRequestDomain(() => port.get('a'))).toBe('doc a');
  expect(await inRequestDomain(() => port.get('b'))).toBe('doc b');
  await expect(inRequestDomain(() => port.fail())).rejects.toThrow('unavailable');
  expect(loads).toBe(1);
  expect(seen).toHaveLength(3);
  for (const d of seen) expect(d).toBeFalsy();
});
