/**
 * Pub/Sub pushes of the profile's topics → the reference interceptor's socket payload, and
 * the small rules around it (rooms, org ids, socket namespaces), table-driven.
 */
import { conversationRoom, decodeNotification, type PushEnvelope } from '../../shared/agent-assist/notifications';
import { sameSalesforceOrg } from '../../functions/ui-connector/salesforce-userinfo';
import { socketNamespaces } from '../../functions/ui-connector/socket';
import { resolveProxyTarget } from '../../functions/ui-connector/proxy';

const NOW = new Date('2026-11-21T10:00:07.123Z');
const envelope = (data: unknown, extra: Partial<PushEnvelope['message']> = {}): PushEnvelope => ({
  message: {
    data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)).toString('base64'),
    messageId: '42',
    publishTime: '2026-11-21T10:00:05.000Z',
    ...extra,
  },
});

describe('conversationRoom', () => {
  it.each([
    ['projects/p/locations/global/conversations/c1', 'projects/p/conversations/c1'],
    ['projects/p/locations/europe-west1/conversations/CA-1+2', 'projects/p/conversations/CA-1+2'],
    ['projects/p/conversations/c1', 'projects/p/conversations/c1'],
  ])('%s → %s', (name, room) => expect(conversationRoom(name)).toBe(room));
});

describe('decodeNotification', () => {
  it('keeps data as the JSON text Dialogflow published and names the room without location', () => {
    const text = '{"conversation":"projects/p/locations/global/conversations/c1","type":"CONVERSATION_STARTED"}';
    expect(decodeNotification(envelope(text), 'conversation-lifecycle-event', NOW)).toEqual({
      kind: 'event',
      room: 'projects/p/conversations/c1',
      publishTimeMs: Date.parse('2026-11-21T10:00:05.000Z'),
      payload: {
        conversation_name: 'projects/p/conversations/c1',
        data: text,
        data_type: 'conversation-lifecycle-event',
        ack_time: '2026-11-21T10:00:07Z',
        publish_time: '2026-11-21T10:00:05.000Z',
        message_id: '42',
      },
    });
  });

  it('reads snake-case id and time (Eventarc) and the recognition attributes, empty when absent', () => {
    const e: PushEnvelope = {
      message: { data: Buffer.from('{"conversation":"projects/p/conversations/c"}').toString('base64'), message_id: '7', publish_time: '2026-11-21T10:00:00Z' },
    };
    const decoded = decodeNotification(e, 'new-recognition-result-notification-event', NOW);
    expect(decoded).toMatchObject({ kind: 'event', payload: { message_id: '7', participant_role: '', new_recognition_result_message_id: '' } });
  });

  it.each([
    ['no conversation', { type: 'X' }],
    ['a conversation that is no name', { conversation: 'projects/p/../x' }],
    ['a conversation that is not a string', { conversation: 42 }],
    ['data that is not JSON', 'hello'],
  ])('is unroutable with %s', (_what, data) => {
    expect(decodeNotification(envelope(data), 'new-message-event', NOW).kind).toBe('unroutable');
  });

  it('is unroutable without an id or a valid publish time', () => {
    expect(decodeNotification(envelope({ conversation: 'projects/p/conversations/c' }, { messageId: undefined }), 'new-message-event', NOW).kind).toBe(
      'unroutable',
    );
    expect(decodeNotification(envelope({ conversation: 'projects/p/conversations/c' }, { publishTime: 'yesterday' }), 'new-message-event', NOW).kind).toBe(
      'unroutable',
    );
  });
});

describe('sameSalesforceOrg', () => {
  it.each([
    ['00D5g000004ABcD', '00D5g000004ABcDEAA', true],
    ['00D5g000004ABcDEAA', '00D5g000004ABcD', true],
    ['00D5g000004ABcDEAA', '00D5g000004ABcDeaa', true],
    ['00D5g000004ABcDEAA', '00D5g000004ABcDEAB', false],
    ['00D5g000004ABcd', '00D5g000004ABcDEAA', false],
    ['00D5g000004ABc', '00D5g000004ABcDEAA', false],
    ['', '00D5g000004ABcDEAA', false],
  ])('%s vs %s → %s', (a, b, same) => expect(sameSalesforceOrg(a, b)).toBe(same));
});

describe('socketNamespaces', () => {
  it.each([
    [undefined, []],
    ['https://ui-connector-run-123.europe-west1.run.app', []],
    ['https://ui-connector-run-123.europe-west1.run.app/', []],
    ['http://127.0.0.1:8080/ui-connector', ['/ui-connector']],
  ])('%s → %j', (url, namespaces) => expect(socketNamespaces(url)).toEqual(namespaces));
});

describe('resolveProxyTarget refusals', () => {
  it.each([
    ['GET', '/v2/projects/other/locations/global/conversations/c', 403],
    ['GET', '/v2/projects/p/locations/global/conversations', 404],
    ['DELETE', '/v2/projects/p/locations/global/conversations/c', 404],
    ['GET', '/v2/projects/p/locations/Global/conversations/c', 400],
    ['GET', '/v2/projects/p/locations/global/conversations/%2e%2e', 400],
    ['GET', '/v2/organizations/o/conversations/c', 404],
  ] as const)('%s %s → %i', (method, path, status) => {
    expect(() => resolveProxyTarget(method, path, 'p')).toThrow(expect.objectContaining({ status }));
  });
});
