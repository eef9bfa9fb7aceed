/**
 * The local stack fails where production would (issue #20): the gateway plays Cloud Run's
 * invoker check in front of the IAM-protected functions and forwards the verified ID token
 * with its signature replaced by SIGNATURE_REMOVED_BY_GOOGLE (docs/contracts/google-cloud.md
 * §1). reconcile must accept exactly what Cloud Run forwards — and nothing forged.
 */
import { localServiceAccounts } from '../../local/env';
import { type Stack, startStack } from '../../local/stack';
import { createPubSub } from '../../shared/google';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ functions: ['reconcile', 'interaction-worker'], envOverrides: { LOG_LEVEL: 'error' } });
});
afterAll(() => stack.stop());

const reconcile = () => stack.functions['reconcile']!;
const report = (runId: string, headers: Record<string, string>) => fetch(`${reconcile()}/runs/${runId}`, { headers });

test('a Cloud Scheduler token reaches reconcile stripped, and reconcile accepts it (404 for an unknown run, not 401)', async () => {
  const token = stack.oidc.mint(stack.env['RECONCILE_AUDIENCE']!, localServiceAccounts.scheduler);
  const res = await report('no-such-run', { authorization: `Bearer ${token}` });
  expect(res.status).toBe(404);
});

test('X-Serverless-Authorization is what the front checks and strips; Authorization then reaches the code untouched', async () => {
  const token = stack.oidc.mint(stack.env['RECONCILE_AUDIENCE']!, localServiceAccounts.scheduler);
  // A forged stripped token in Authorization naming another account: reconcile must read the checked header.
  const [h] = token.split('.');
  const forgedClaims = Buffer.from(
    JSON.stringify({
      iss: 'https://accounts.google.com',
      aud: stack.env['RECONCILE_AUDIENCE'],
      exp: Math.floor(Date.now() / 1000) + 600,
      email: 'intruder@evil.iam.gserviceaccount.com',
      email_verified: true,
    }),
  ).toString('base64url');
  const res = await report('no-such-run', {
    'x-serverless-authorization': `Bearer ${token}`,
    authorization: `Bearer ${h}.${forgedClaims}.SIGNATURE_REMOVED_BY_GOOGLE`,
  });
  expect(res.status).toBe(404);
});

test('the front refuses what Cloud Run refuses: no token 401, a forged stripped token 401, a foreign audience 401, a non-invoker 403', async () => {
  expect((await report('x', {})).status).toBe(401);
  const token = stack.oidc.mint(stack.env['RECONCILE_AUDIENCE']!, localServiceAccounts.scheduler);
  const [h, p] = token.split('.');
  expect((await report('x', { authorization: `Bearer ${h}.${p}.SIGNATURE_REMOVED_BY_GOOGLE` })).status).toBe(401);
  expect((await report('x', { authorization: `Bearer ${stack.oidc.mint('https://elsewhere.example', localServiceAccounts.scheduler)}` })).status).toBe(401);
  expect(
    (await report('x', { authorization: `Bearer ${stack.oidc.mint(stack.env['RECONCILE_AUDIENCE']!, 'someone@x.iam.gserviceaccount.com')}` })).status,
  ).toBe(403);
});

test('the worker is reached only through its push subscription: a direct call without an invoker token is refused', async () => {
  const body = JSON.stringify({ message: { data: Buffer.from('{}').toString('base64'), messageId: '1' }, subscription: 'projects/p/subscriptions/s' });
  const res = await fetch(stack.functions['interaction-worker']!, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(res.status).toBe(401);
});

test('a message published to zoom-events reaches the worker through the authenticated push and is acknowledged', async () => {
  const pubsub = createPubSub(stack.env['GCP_PROJECT']!);
  try {
    // Not a queued Zoom event: the worker acknowledges it as permanently unprocessable (204).
    await pubsub.topic('zoom-events').publishMessage({ json: { not: 'a queued event' } });
    await stack.pubsub.drain(10_000);
    const stats = stack.pubsub.stats()[`projects/${stack.env['GCP_PROJECT']}/subscriptions/interaction-worker-push`];
    expect(stats).toMatchObject({ delivered: 1, acked: 1, failedAttempts: 0, deadLettered: 0 });
  } finally {
    await pubsub.close();
  }
});
