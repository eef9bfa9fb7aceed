/**
 * The Dialogflow stand-in's conversations refuse what Dialogflow refuses (an unknown
 * profile, a bad role, an unknown participant, a completed conversation, non-text input)
 * and publish the profile's notifications in JSON — so the proxy and the e2e test cannot
 * pass on a request the real API would refuse.
 */
import { type DialogflowMock, startDialogflowMock } from '../../local/mocks/dialogflow';

let df: DialogflowMock;
const published: Array<{ topic: string; data: Record<string, unknown> }> = [];
beforeEach(async () => {
  published.length = 0;
  df = await startDialogflowMock({
    projectId: 'p',
    publish: async (topic, data) => {
      published.push({ topic, data });
    },
    notificationTopics: {
      suggestions: 'projects/p/topics/s',
      lifecycle: 'projects/p/topics/l',
      newMessages: 'projects/p/topics/m',
      newRecognitionResults: 'projects/p/topics/r',
    },
  });
});
afterEach(() => df.stop());

const call = (method: string, path: string, body?: unknown) =>
  fetch(`${df.baseUrl}/v2beta1/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const C = 'projects/p/locations/global/conversations/c1';

it('runs a conversation and publishes lifecycle, new message and suggestion events to the profile topics', async () => {
  expect((await call('POST', 'projects/p/locations/global/conversations?conversationId=c1', { conversationProfile: df.defaultProfile })).status).toBe(200);
  const user = (await (await call('POST', `${C}/participants`, { role: 'END_USER' })).json()) as { name: string };
  await call('POST', `${C}/participants`, { role: 'HUMAN_AGENT' });
  expect((await call('POST', `${user.name}:analyzeContent`, { textInput: { text: 'hello', languageCode: 'en-US' } })).status).toBe(200);
  await call('POST', `${C}:complete`);
  expect(published.map((p) => [p.topic, p.data['type'] ?? 'suggestion'])).toEqual([
    ['projects/p/topics/l', 'CONVERSATION_STARTED'],
    ['projects/p/topics/m', 'NEW_MESSAGE'],
    ['projects/p/topics/s', 'suggestion'],
    ['projects/p/topics/l', 'CONVERSATION_FINISHED'],
  ]);
});

it.each([
  [
    'an unknown profile',
    'POST',
    'projects/p/locations/global/conversations',
    { conversationProfile: 'projects/p/locations/global/conversationProfiles/nope' },
    400,
  ],
  ['no profile', 'POST', 'projects/p/locations/global/conversations', {}, 400],
  ['an unknown conversation', 'GET', 'projects/p/locations/global/conversations/nope', undefined, 404],
])('refuses %s', async (_what, method, path, body, status) => {
  expect((await call(method, path, body)).status).toBe(status);
});

it('refuses a bad role, an unknown participant, non-text input, a duplicate id and analyzing a completed conversation', async () => {
  await call('POST', 'projects/p/locations/global/conversations?conversationId=c1', { conversationProfile: df.defaultProfile });
  expect((await call('POST', 'projects/p/locations/global/conversations?conversationId=c1', { conversationProfile: df.defaultProfile })).status).toBe(409);
  expect((await call('POST', `${C}/participants`, { role: 'CUSTOMER' })).status).toBe(400);
  expect((await call('POST', `${C}/participants/nobody:analyzeContent`, { textInput: { text: 'x' } })).status).toBe(404);
  const user = (await (await call('POST', `${C}/participants`, { role: 'END_USER' })).json()) as { name: string };
  expect((await call('POST', `${user.name}:analyzeContent`, { audioInput: { audio: 'AAAA' } })).status).toBe(400);
  await call('POST', `${C}:complete`);
  expect((await call('POST', `${user.name}:analyzeContent`, { textInput: { text: 'late' } })).status).toBe(400);
});
