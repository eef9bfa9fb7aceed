/** SIPREC provisioning against the Dialogflow v2beta1 mock, over real HTTP. */
import { spawn } from 'node:child_process';
import { createDialogflowRest } from '../../scripts/siprec/dialogflow-rest';
import { ensureSiprecNumber, resolveProfile, siprecUri } from '../../scripts/siprec/provision';
import { type DialogflowMock, startDialogflowMock } from '../../local/mocks/dialogflow';

const PROJECT = 'ccbridge-test';
let mock: DialogflowMock;
beforeEach(async () => {
  mock = await startDialogflowMock({ projectId: PROJECT });
});
afterEach(() => mock.stop());

const profile = () => resolveProfile('ccbridge-local-profile', { project: PROJECT });
const run = (waitMs = 1000) =>
  ensureSiprecNumber(createDialogflowRest({ endpoint: mock.baseUrl }), { profile: profile(), waitMs, pollMs: 1, sleep: async () => undefined });

describe('SIPREC provisioning', () => {
  test('the URI has the documented form', () => {
    expect(siprecUri('+14155550123')).toBe('sip:+14155550123@216.239.36.145:5672;transport=tls;secure=true;edge=umatilla');
  });

  test('fresh profile: enables createConversationOnTheFly, orders a number, waits for it, links it', async () => {
    mock.addProfile(mock.defaultProfile, { displayName: 'p', sipConfig: { allowVirtualAgentInteraction: false } });
    const result = await run();
    expect(result.status).toBe('ready');
    if (result.status !== 'ready') return;
    expect(result.actions).toEqual([
      'enabled sipConfig.createConversationOnTheFly',
      expect.stringMatching(/^ordered a number/),
      expect.stringMatching(/^linked \+\d+ to the profile$/),
    ]);
    // Other sipConfig fields survive the patch.
    expect(mock.profile(mock.defaultProfile)?.['sipConfig']).toEqual({ allowVirtualAgentInteraction: false, createConversationOnTheFly: true });
    const [number] = mock.phoneNumbers();
    expect(number).toMatchObject({ conversationProfile: mock.defaultProfile, lifecycleState: 'ACTIVE' });
    expect(result.siprecUri).toBe(siprecUri(number!.phoneNumber));
    expect(mock.orders()).toHaveLength(1);
  });

  test('already linked: changes nothing and orders nothing', async () => {
    mock.addProfile(mock.defaultProfile, { sipConfig: { createConversationOnTheFly: true } });
    mock.addPhoneNumber({ phoneNumber: '+15005550006', conversationProfile: 'projects/other/locations/global/conversationProfiles/x' });
    mock.addPhoneNumber({ phoneNumber: '+15005550007', conversationProfile: mock.defaultProfile, lifecycleState: 'DELETE_REQUESTED' });
    mock.addPhoneNumber({ phoneNumber: '+15005550008', conversationProfile: mock.defaultProfile });
    const before = mock.requests.length;
    const result = await run();
    expect(result).toEqual({
      status: 'ready',
      phoneNumber: '+15005550008',
      phoneNumberName: expect.any(String),
      siprecUri: siprecUri('+15005550008'),
      actions: [],
    });
    expect(mock.requests.slice(before).map((r) => r.method)).toEqual(['GET', 'GET']);
    expect(mock.orders()).toEqual([]);
  });

  test('a recognition topic is set on the profile as JSON once (the provider cannot), and a re-run leaves it alone', async () => {
    mock.addProfile(mock.defaultProfile, { sipConfig: { createConversationOnTheFly: true } });
    mock.addPhoneNumber({ phoneNumber: '+15005550008', conversationProfile: mock.defaultProfile });
    const topic = `projects/${PROJECT}/topics/agent-assist-recognition-results`;
    const api = createDialogflowRest({ endpoint: mock.baseUrl });
    const first = await ensureSiprecNumber(api, { profile: profile(), waitMs: 0, pollMs: 1, recognitionTopic: topic });
    expect(first.actions).toEqual([`set newRecognitionResultNotificationConfig to ${topic} (JSON)`]);
    expect(mock.profile(mock.defaultProfile)?.['newRecognitionResultNotificationConfig']).toEqual({ topic, messageFormat: 'JSON' });
    // What the patch asked for, on the wire: only that field, by update mask.
    const patch = mock.requests.find((r) => r.method === 'PATCH');
    expect(new URLSearchParams(patch?.query).get('updateMask')).toBe('newRecognitionResultNotificationConfig');
    const before = mock.requests.length;
    const again = await ensureSiprecNumber(api, { profile: profile(), waitMs: 0, pollMs: 1, recognitionTopic: topic });
    expect(again.actions).toEqual([]);
    expect(mock.requests.slice(before).map((r) => r.method)).toEqual(['GET', 'GET']);
  });

  test('order pending: answers pending, and a re-run does not order twice; once fulfilled, it links', async () => {
    mock.setPendingReads(Number.POSITIVE_INFINITY);
    const first = await run(0);
    expect(first).toMatchObject({ status: 'pending', actions: ['enabled sipConfig.createConversationOnTheFly', expect.stringMatching(/^ordered/)] });
    const second = await run(0);
    expect(second).toMatchObject({ status: 'pending', actions: [] });
    expect(mock.orders()).toHaveLength(1);

    mock.releasePendingOrders();
    const third = await run(10_000);
    expect(third).toMatchObject({ status: 'ready', actions: [expect.stringMatching(/^linked/)] });
    expect(mock.orders()).toHaveLength(1);
    expect(mock.phoneNumbers()).toEqual([expect.objectContaining({ conversationProfile: mock.defaultProfile })]);
  });

  test('a pending order that gets fulfilled while waiting is linked in the same run', async () => {
    mock.setPendingReads(3);
    const result = await run(10_000);
    expect(result.status).toBe('ready');
    expect(mock.orders()[0]?.state).toBe('COMPLETED');
    const again = await run();
    expect(again).toMatchObject({ status: 'ready', actions: [] });
    expect(mock.orders()).toHaveLength(1);
  });

  test('profile names: bare id, full name, name without locations', () => {
    expect(resolveProfile('abc', { project: 'p' }).name).toBe('projects/p/locations/global/conversationProfiles/abc');
    expect(resolveProfile('projects/q/locations/us-central1/conversationProfiles/abc', {}).parent).toBe('projects/q/locations/us-central1');
    expect(resolveProfile('projects/q/conversationProfiles/abc', {}).name).toBe('projects/q/locations/global/conversationProfiles/abc');
    expect(() => resolveProfile('abc', {})).toThrow(/project/);
  });

  test('a missing profile is a clear failure', async () => {
    const failing = ensureSiprecNumber(createDialogflowRest({ endpoint: mock.baseUrl }), {
      profile: resolveProfile('nope', { project: PROJECT }),
      waitMs: 0,
      pollMs: 1,
    });
    await expect(failing).rejects.toThrow(/NOT_FOUND/);
  });

  test('the CLI prints only the URI on stdout and exits 0; a pending order exits 3 only with --fail-on-pending', async () => {
    const cli = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn('node_modules/.bin/tsx', ['scripts/siprec.ts', ...args], {
          env: { ...process.env, DIALOGFLOW_API_ENDPOINT: mock.baseUrl, GCP_PROJECT: PROJECT },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    mock.setPendingReads(Number.POSITIVE_INFINITY);
    const pending = await cli(['--profile', 'ccbridge-local-profile', '--wait', '0']);
    expect(pending).toMatchObject({ code: 0, stdout: '' });
    const strict = await cli(['--profile', 'ccbridge-local-profile', '--wait', '0', '--fail-on-pending']);
    expect(strict).toMatchObject({ code: 3, stdout: '' });
    mock.addPhoneNumber({ phoneNumber: '+15005550009', conversationProfile: mock.defaultProfile });
    const ok = await cli(['--profile', 'ccbridge-local-profile', '--wait', '0']);
    expect(ok).toMatchObject({ code: 0, stdout: `${siprecUri('+15005550009')}\n` });
    const usage = await cli(['--bogus']);
    expect(usage.code).toBe(2);
  }, 60_000);
});
