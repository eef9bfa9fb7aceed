/**
 * Dialogflow v2beta1 REST mock for what the SIPREC provisioning uses: conversation
 * profiles (get, patch with `sipConfig`), phone numbers (list with paging, patch of
 * `conversationProfile`) and phone number orders (create, get, list). An order answers
 * PENDING for a configurable number of reads and is then fulfilled: its numbers appear as
 * ACTIVE phone numbers that no profile uses yet. The shape of PhoneNumberOrder is not
 * fully documented publicly; this mock's is the provisioning's assumption, kept lenient there.
 * Errors use Google's JSON error envelope.
 */
import type http from 'node:http';
import { type MockRequest, type MockServer, readJsonObject, sendJson, startMockServer } from '../http-mock';
import { type ConversationState, conversationRoutes, type NotificationPublisher, type StandinConversation } from './conversations';

export interface DialogflowPhoneNumber {
  name: string;
  phoneNumber: string;
  conversationProfile?: string;
  lifecycleState: 'ACTIVE' | 'DELETE_REQUESTED';
}

export interface DialogflowPhoneNumberOrder {
  name: string;
  description?: string;
  phoneNumberSpec?: { count?: number; countryCode?: number | string; preferredPrefixes?: string[] };
  state: 'PENDING' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
  phoneNumbers: string[];
  createTime: string;
}

export type ConversationProfile = Record<string, unknown> & { name: string };

export interface DialogflowMockOptions {
  projectId: string;
  port?: number;
  /** How many reads of a new order answer PENDING before it is fulfilled (default 1). */
  pendingReads?: number;
  /** Publishes Agent Assist notifications (the local stack: to the local Pub/Sub). */
  publish?: NotificationPublisher;
  /** Topics set on the default profile's notification configs (full names). */
  notificationTopics?: { suggestions: string; lifecycle: string; newMessages: string; newRecognitionResults: string };
}

export interface DialogflowMock extends MockServer {
  /** The profile every stack has: projects/<project>/locations/global/conversationProfiles/ccbridge-local-profile. */
  readonly defaultProfile: string;
  addProfile(name: string, fields?: Record<string, unknown>): void;
  profile(name: string): ConversationProfile | undefined;
  addPhoneNumber(
    fields: Omit<DialogflowPhoneNumber, 'name' | 'lifecycleState'> & { location?: string; lifecycleState?: DialogflowPhoneNumber['lifecycleState'] },
  ): DialogflowPhoneNumber;
  phoneNumbers(): DialogflowPhoneNumber[];
  orders(): DialogflowPhoneNumberOrder[];
  /** Reads of new orders that answer PENDING; Infinity keeps them pending. */
  setPendingReads(reads: number): void;
  /** Lets every pending order be fulfilled at its next read. */
  releasePendingOrders(): void;
  conversations(): StandinConversation[];
  /** Notifications published so far. */
  publishedCount(): number;
}

export const LOCAL_CONVERSATION_PROFILE_ID = 'ccbridge-local-profile';

const notFound = (res: http.ServerResponse, what: string) => sendJson(res, 404, { error: { code: 404, message: `${what} not found`, status: 'NOT_FOUND' } });
const badRequest = (res: http.ServerResponse, message: string) => sendJson(res, 400, { error: { code: 400, message, status: 'INVALID_ARGUMENT' } });

export async function startDialogflowMock(options: DialogflowMockOptions): Promise<DialogflowMock> {
  const profiles = new Map<string, ConversationProfile>();
  const numbers = new Map<string, DialogflowPhoneNumber>();
  const orders = new Map<string, DialogflowPhoneNumberOrder & { readsLeft: number; location: string }>();
  let pendingReads = options.pendingReads ?? 1;
  let nextNumber = 14155550000;
  let nextId = 1;
  const defaultProfile = `projects/${options.projectId}/locations/global/conversationProfiles/${LOCAL_CONVERSATION_PROFILE_ID}`;
  const topics = options.notificationTopics;
  const json = (topic: string) => ({ topic, messageFormat: 'JSON' });
  profiles.set(defaultProfile, {
    name: defaultProfile,
    displayName: 'ccbridge local profile',
    ...(topics
      ? {
          humanAgentAssistantConfig: { notificationConfig: json(topics.suggestions) },
          notificationConfig: json(topics.lifecycle),
          newMessageEventNotificationConfig: json(topics.newMessages),
          newRecognitionResultNotificationConfig: json(topics.newRecognitionResults),
        }
      : {}),
  });
  const conversationState: ConversationState = { conversations: new Map(), participants: new Map(), messages: new Map(), published: 0 };

  const parent = (req: MockRequest) => `projects/${req.params['project']}/locations/${req.params['location']}`;
  const readJson = readJsonObject;
  const masks = (req: MockRequest) =>
    (req.query.get('updateMask') ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean);

  const addPhoneNumber: DialogflowMock['addPhoneNumber'] = (fields) => {
    const location = fields.location ?? 'global';
    const name = `projects/${options.projectId}/locations/${location}/phoneNumbers/${nextId++}`;
    const number: DialogflowPhoneNumber = {
      name,
      phoneNumber: fields.phoneNumber,
      lifecycleState: fields.lifecycleState ?? 'ACTIVE',
      ...(fields.conversationProfile ? { conversationProfile: fields.conversationProfile } : {}),
    };
    numbers.set(name, number);
    return number;
  };

  const fulfil = (order: DialogflowPhoneNumberOrder & { readsLeft: number; location: string }) => {
    if (order.state !== 'PENDING' && order.state !== 'IN_PROGRESS') return;
    if (order.readsLeft > 0) {
      order.readsLeft--;
      return;
    }
    const count = order.phoneNumberSpec?.count ?? 1;
    for (let i = 0; i < count; i++) order.phoneNumbers.push(addPhoneNumber({ phoneNumber: `+${nextNumber++}`, location: order.location }).phoneNumber);
    order.state = 'COMPLETED';
  };
  const publicOrder = ({ readsLeft: _r, location: _l, ...order }: DialogflowPhoneNumberOrder & { readsLeft: number; location: string }) => order;

  const getProfile = (res: http.ServerResponse, name: string) => {
    const profile = profiles.get(name);
    return profile ? sendJson(res, 200, profile) : notFound(res, name);
  };
  const patchProfile = (req: MockRequest, res: http.ServerResponse, name: string) => {
    const profile = profiles.get(name);
    if (!profile) return notFound(res, name);
    const body = readJson(req);
    const fieldMasks = masks(req);
    if (!body || fieldMasks.length === 0) return badRequest(res, 'updateMask and a JSON body are required');
    for (const mask of fieldMasks) {
      const [top, sub] = mask.split('.');
      if (top !== 'sipConfig' && top !== 'displayName' && top !== 'newRecognitionResultNotificationConfig')
        return badRequest(res, `unsupported update mask ${mask}`);
      if (sub === undefined) profile[top] = body[top];
      else {
        const current = (profile[top] as Record<string, unknown> | undefined) ?? {};
        profile[top] = { ...current, [sub]: (body[top] as Record<string, unknown> | undefined)?.[sub] };
      }
    }
    return sendJson(res, 200, profile);
  };

  const server = await startMockServer(
    'dialogflow',
    [
      {
        method: 'GET',
        path: '/v2beta1/projects/:project/locations/:location/conversationProfiles/:id',
        handle: (req, res) => getProfile(res, `${parent(req)}/conversationProfiles/${req.params['id']}`),
      },
      {
        method: 'PATCH',
        path: '/v2beta1/projects/:project/locations/:location/conversationProfiles/:id',
        handle: (req, res) => patchProfile(req, res, `${parent(req)}/conversationProfiles/${req.params['id']}`),
      },
      {
        method: 'GET',
        path: '/v2beta1/projects/:project/locations/:location/phoneNumbers',
        handle: (req, res) => {
          const showDeleted = req.query.get('showDeleted') === 'true';
          const all = [...numbers.values()].filter((n) => n.name.startsWith(`${parent(req)}/`) && (showDeleted || n.lifecycleState === 'ACTIVE'));
          const pageSize = Math.min(Number(req.query.get('pageSize') ?? 100) || 100, 1000);
          const start = Number(req.query.get('pageToken') ?? 0) || 0;
          const page = all.slice(start, start + pageSize);
          const next = start + pageSize < all.length ? String(start + pageSize) : undefined;
          sendJson(res, 200, { phoneNumbers: page, ...(next ? { nextPageToken: next } : {}) });
        },
      },
      {
        method: 'PATCH',
        path: '/v2beta1/projects/:project/locations/:location/phoneNumbers/:id',
        handle: (req, res) => {
          const name = `${parent(req)}/phoneNumbers/${req.params['id']}`;
          const number = numbers.get(name);
          if (!number) return notFound(res, name);
          const body = readJson(req);
          if (!body || masks(req).join(',') !== 'conversationProfile') return badRequest(res, 'only updateMask=conversationProfile is supported');
          if (number.lifecycleState !== 'ACTIVE')
            return sendJson(res, 400, { error: { code: 400, message: `${name} is being deleted`, status: 'FAILED_PRECONDITION' } });
          const profile = body['conversationProfile'];
          if (typeof profile !== 'string' || !profiles.has(profile)) return badRequest(res, `conversation profile ${String(profile)} does not exist`);
          number.conversationProfile = profile;
          return sendJson(res, 200, number);
        },
      },
      {
        method: 'POST',
        path: '/v2beta1/projects/:project/locations/:location/phoneNumberOrders',
        handle: (req, res) => {
          const body = readJson(req);
          if (!body) return badRequest(res, 'a JSON PhoneNumberOrder is required');
          const name = `${parent(req)}/phoneNumberOrders/${nextId++}`;
          const order = {
            name,
            state: 'PENDING' as const,
            phoneNumbers: [],
            createTime: new Date().toISOString(),
            readsLeft: pendingReads,
            location: req.params['location'] ?? 'global',
            ...(typeof body['description'] === 'string' ? { description: body['description'] } : {}),
            ...(body['phoneNumberSpec'] && typeof body['phoneNumberSpec'] === 'object'
              ? { phoneNumberSpec: body['phoneNumberSpec'] as DialogflowPhoneNumberOrder['phoneNumberSpec'] & object }
              : {}),
          };
          orders.set(name, order);
          sendJson(res, 200, publicOrder(order));
        },
      },
      {
        method: 'GET',
        path: '/v2beta1/projects/:project/locations/:location/phoneNumberOrders',
        handle: (req, res) => {
          const list = [...orders.values()].filter((o) => o.name.startsWith(`${parent(req)}/`));
          sendJson(res, 200, { phoneNumberOrders: list.map(publicOrder) });
        },
      },
      {
        method: 'GET',
        path: '/v2beta1/projects/:project/locations/:location/phoneNumberOrders/:id',
        handle: (req, res) => {
          const name = `${parent(req)}/phoneNumberOrders/${req.params['id']}`;
          const order = orders.get(name);
          if (!order) return notFound(res, name);
          fulfil(order);
          sendJson(res, 200, publicOrder(order));
        },
      },
      ...conversationRoutes({ state: conversationState, profile: (name) => profiles.get(name), publish: options.publish }),
    ],
    options.port === undefined ? {} : { port: options.port },
  );

  return {
    baseUrl: server.baseUrl,
    port: server.port,
    requests: server.requests,
    stop: server.stop,
    defaultProfile,
    addProfile(name, fields = {}) {
      profiles.set(name, { ...fields, name });
    },
    profile: (name) => {
      const p = profiles.get(name);
      return p ? structuredClone(p) : undefined;
    },
    addPhoneNumber,
    phoneNumbers: () => [...numbers.values()].map((n) => ({ ...n })),
    orders: () => [...orders.values()].map((o) => structuredClone(publicOrder(o))),
    setPendingReads(reads) {
      pendingReads = reads;
    },
    releasePendingOrders() {
      for (const order of orders.values()) order.readsLeft = 0;
    },
    conversations: () => [...conversationState.conversations.values()].map((c) => ({ ...c })),
    publishedCount: () => conversationState.published,
  };
}
