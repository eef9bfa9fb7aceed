/**
 * The Google stand-ins in a process of their own (local/services.ts) and a stack that uses
 * them instead of starting its own (`startStack({ services })`), as the HTTP benchmarks run.
 */
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../../local/manifest';
import { type ExternalServices, type LocalServices, startLocalServices } from '../../local/services';
import { type StackOnServices, startStack } from '../../local/stack';
import { roleToken, signedRegistration } from '../support/ui-connector-fixture';

describe('a stack on already-running stand-ins', () => {
  let services: LocalServices;
  let stack: StackOnServices;
  beforeAll(async () => {
    services = await startLocalServices();
    stack = await startStack({ functions: ['ui-connector'], services: services.hosts });
  }, 60_000);
  afterAll(async () => {
    await stack.stop();
    await services.stop();
  });

  test('the function reads and writes through the given hosts, and the stack starts none of its own', async () => {
    expect(stack.emulators).toMatchObject({ firestore: services.hosts.firestoreHost, pubsub: services.hosts.pubsubHost, storage: services.hosts.storageUrl });
    expect(stack).not.toHaveProperty('firestore');
    const base = stack.functions['ui-connector']!;
    const registered = await fetch(`${base}/register-app`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accountSid: stack.credentials.twilioAccountSid, authToken: stack.credentials.twilioAuthToken }),
    });
    const { token } = (await registered.json()) as { token: string };
    const conversationName = 'projects/ccbridge-local/locations/global/conversations/CA0123';
    const { url, init } = signedRegistration(base, stack.credentials.twilioAuthToken, token, { conversationIntegrationKey: '+14155550100', conversationName });
    const post = await fetch(url, init);
    expect(post.status).toBe(200);
    const agent = await roleToken({ key: stack.credentials.uiConnectorJwtSecret, project: stack.env['GCP_PROJECT']!, role: 'agent' });
    const get = await fetch(`${base}/conversation-name?conversationIntegrationKey=%2B14155550100`, { headers: { authorization: agent } });
    expect(await get.json()).toEqual({ conversationName });
  });
});

test('local/services.ts prints its hosts as one JSON line and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'local', 'services.ts')], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    const hosts = JSON.parse(line) as ExternalServices;
    expect(hosts).toEqual({
      firestoreHost: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      pubsubHost: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      storageUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
    });
    const port = Number(hosts.firestoreHost.split(':')[1]);
    expect(await canConnect(port)).toBe(true);
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(await canConnect(port)).toBe(false);
  } finally {
    child.kill('SIGKILL');
  }
}, 60_000);

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
