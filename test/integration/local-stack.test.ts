/**
 * The local stack as a newcomer gets it: `npm start`'s entry brings every function up on
 * one port with its emulators, prints and writes the URLs and credentials, says "ready",
 * and stops cleanly on Ctrl-C. Plus: what it provisions is really there.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localServiceAccounts } from '../../local/env';
import { LOCAL_OPERATOR } from '../../local/operator-proxy';
import { readFunctionManifest, repoRoot } from '../../local/manifest';
import { type Stack, startStack } from '../../local/stack';
import { stackDocStore } from '../../scripts/demo/pipeline-state';
import { createPubSub, createStorage } from '../../shared/google';

describe('local stack in process', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.stop());

  test('every function in functions.json answers a health request at its root (IAM-protected ones only with an invoker token)', async () => {
    const manifest = readFunctionManifest();
    expect(Object.keys(stack.functions).sort()).toEqual(manifest.map((f) => f.name).sort());
    const invoker: Record<string, string> = {
      reconcile: localServiceAccounts.scheduler,
      'interaction-worker': localServiceAccounts.pubsubPush,
      operator: LOCAL_OPERATOR,
    };
    for (const { name, access } of manifest) {
      const url = stack.functions[name]!;
      if (access === 'iam') {
        expect({ name, status: (await fetch(`${url}/`)).status }).toEqual({ name, status: 401 });
      }
      const headers: Record<string, string> = access === 'iam' ? { authorization: `Bearer ${stack.oidc.mint(url, invoker[name]!)}` } : {};
      const res = await fetch(`${url}/`, { headers });
      expect({ name, status: res.status }).toEqual({ name, status: 200 });
      expect(await res.json()).toMatchObject({ status: 'ok', function: name });
    }
  });

  test('the buckets, topics, dead-letter topics and push subscriptions exist', async () => {
    const storage = createStorage(stack.env['GCP_PROJECT']!);
    const [buckets] = await storage.getBuckets();
    expect(buckets.map((b) => b.name).sort()).toEqual(['ccbridge-archive', 'ccbridge-ccai-external']);
    const pubsub = createPubSub(stack.env['GCP_PROJECT']!);
    const [topics] = await pubsub.getTopics();
    const topicNames = topics.map((t) => t.name.split('/').pop());
    for (const t of ['zoom-events', 'conversation-events', 'reconcile-slices']) {
      expect(topicNames).toContain(t);
      expect(topicNames).toContain(`${t}-dead-letter`);
    }
    const [meta] = await pubsub.subscription('interaction-worker-push').getMetadata();
    expect(meta.pushConfig?.pushEndpoint).toBe(stack.functions['interaction-worker']);
    expect(meta.pushConfig?.oidcToken?.serviceAccountEmail).toBe(localServiceAccounts.pubsubPush);
    expect(meta.deadLetterPolicy?.deadLetterTopic).toMatch(/zoom-events-dead-letter$/);
    // terraform/delivery.json: the push waits 600 s, back-off 10..300 s, as deployed.
    expect(meta.ackDeadlineSeconds).toBe(600);
    expect(Number(meta.retryPolicy?.maximumBackoff?.seconds)).toBe(300);
    // What reaches the dead-letter topic is pushed (OIDC, pubsub-push) to the worker's recorder, as Terraform does.
    const [recording] = await pubsub.subscription('zoom-events-dead-letter-record').getMetadata();
    expect(recording.topic).toMatch(/zoom-events-dead-letter$/);
    expect(recording.pushConfig?.pushEndpoint).toBe(`${stack.functions['interaction-worker']}/dead-letters`);
    expect(recording.pushConfig?.oidcToken?.serviceAccountEmail).toBe(localServiceAccounts.pubsubPush);
    await pubsub.close();
  });

  test('a message on the dead-letter topic reaches the worker through the gateway and is recorded for the operators', async () => {
    const pubsub = createPubSub(stack.env['GCP_PROJECT']!);
    const data = Buffer.from(
      JSON.stringify({
        v: 1,
        key: 'k',
        source: 'webhook',
        receivedAt: new Date().toISOString(),
        envelope: { event: 'contact_center.recording_completed', payload: { object: { engagement_id: 'eng-local-dl' } } },
      }),
    );
    // The attributes Pub/Sub adds when it dead-letters (docs/contracts/google-cloud.md §2).
    const messageId = await pubsub.topic('zoom-events-dead-letter').publishMessage({
      data,
      attributes: {
        engagementId: 'eng-local-dl',
        CloudPubSubDeadLetterSourceDeliveryCount: '5',
        CloudPubSubDeadLetterSourceSubscription: 'interaction-worker-push',
      },
    });
    await pubsub.close();
    await stack.pubsub.drain(30_000);
    const recorded = await stackDocStore(stack.env).get('deadLetters', messageId);
    expect(recorded).toMatchObject({ messageId, engagementId: 'eng-local-dl', deliveryAttempts: 5, sourceSubscription: 'interaction-worker-push' });
  });

  test("a delivery the Framework guard refuses at the gateway (Content-Encoding) is recorded by zoom-webhook's refusal observer", async () => {
    const res = await fetch(stack.functions['zoom-webhook']!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: '{}',
    });
    expect(res.status).toBe(415);
    const refusals = await stackDocStore(stack.env).query('zoomWebhookRefusals', { limit: 100 });
    expect(refusals.filter((d) => d.data['kind'] === 'entry').map((d) => [d.data['reason'], d.data['stage']])).toContainEqual(['bad_encoding', 'framework']);
    expect(refusals.find((d) => d.data['kind'] === 'count' && d.data['reason'] === 'bad_encoding')?.data['count']).toBe(1);
  });
});

describe('npm start', () => {
  let child: ChildProcess | undefined;
  let stateDir: string;
  afterEach(() => {
    child?.kill('SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('prints URLs and credentials, writes .ccbridge/local.json, says ready, and stops cleanly on SIGINT', async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'ccbridge-state-'));
    child = spawn(join(repoRoot, 'node_modules', '.bin', 'tsx'), ['local/start.ts'], {
      cwd: repoRoot,
      env: { ...process.env, PORT: '0', CCBRIDGE_STATE_DIR: stateDir, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line in 30 s:\n${stderr}`)), 30_000);
      child!.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/^ready$/m.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child!.on('exit', (code) => reject(new Error(`exited early with ${code}:\n${stderr}`)));
    });
    const local = JSON.parse(readFileSync(join(stateDir, 'local.json'), 'utf8')) as {
      functions: Record<string, string>;
      credentials: Record<string, string>;
      emulators: Record<string, string>;
    };
    expect(Object.keys(local.functions).sort()).toEqual([
      'call-log',
      'ccaip-sdk',
      'crm',
      'interaction-worker',
      'operator',
      'reconcile',
      'ui-connector',
      'zoom-webhook',
    ]);
    expect(stderr).toContain(`${local.functions['ccaip-sdk']}/demo?check=1#id_token=ey`);
    // The operator page's URL (a local proxy signing in as the operator) opens the page; the function's own URL refuses a browser.
    const operatorPage = /Operator page[^\n]*\n\s+(http:\/\/127\.0\.0\.1:\d+\/page)/.exec(stderr)?.[1];
    expect(operatorPage).toBeDefined();
    const opened = await fetch(operatorPage!);
    expect(opened.status).toBe(200);
    expect(await opened.text()).toContain('<h1>ccbridge operator</h1>');
    expect((await fetch(`${local.functions['operator']}/page`)).status).toBe(401);
    expect(local.credentials).toEqual(
      expect.objectContaining({ zoomWebhookSecret: expect.any(String), twilioAccountSid: expect.any(String), twilioAuthToken: expect.any(String) }),
    );
    for (const url of Object.values(local.functions)) expect(stderr).toContain(url);
    expect(stderr).toContain(local.credentials['zoomWebhookSecret']);
    const health = await fetch(`${local.functions['crm']}/`);
    expect(health.status).toBe(200);

    // Every port the stack announced: the functions' gateway, each emulator and mock, the operator proxy.
    const ports = listeningPorts([...Object.values(local.functions), ...Object.values(local.emulators), operatorPage!]);
    expect(ports.length).toBeGreaterThanOrEqual(Object.keys(local.emulators).length);
    for (const port of ports) expect({ port, listening: await canConnect(port) }).toEqual({ port, listening: true });
    const exit = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exit).toBe(0);
    child = undefined;
    // Nothing is left listening once it has exited.
    for (const port of ports) expect({ port, listening: await canConnect(port) }).toEqual({ port, listening: false });
  }, 60_000);
});

/** The distinct ports of announced addresses: URLs, or host:port as the emulator variables take them. */
function listeningPorts(addresses: string[]): number[] {
  const ports = addresses.map((a) => Number(new URL(/^[a-z]+:\/\//.test(a) ? a : `http://${a}`).port));
  expect(ports.filter((p) => !(p > 0))).toEqual([]);
  return [...new Set(ports)];
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
