/**
 * Conversations, participants and analyzeContent of the Dialogflow stand-in (v2 and
 * v2beta1, with or without `locations/<l>/`, as Dialogflow's HTTP bindings allow), and the
 * notifications Agent Assist publishes to the conversation profile's topics: lifecycle
 * (CONVERSATION_STARTED / CONVERSATION_FINISHED) on `notificationConfig`, NEW_MESSAGE on
 * `newMessageEventNotificationConfig`, a HumanAgentAssistantEvent on
 * `humanAgentAssistantConfig.notificationConfig` after each analyzed message (JSON message
 * format). Field names follow the v2beta1 protos of @google-cloud/dialogflow
 * (docs/contracts/agent-assist.md). The suggestion content is a fixed smart reply: the
 * stand-in has no models; what matters here is the wire shape and the routing.
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { type MockRequest, type MockRoute, readJsonObject, sendJson } from '../http-mock';

export type ProfileLookup = (name: string) => Record<string, unknown> | undefined;
export type NotificationPublisher = (topic: string, data: Record<string, unknown>, attributes?: Record<string, string>) => Promise<void>;

export interface StandinConversation {
  name: string;
  lifecycleState: 'IN_PROGRESS' | 'COMPLETED';
  conversationProfile: string;
  conversationStage: string;
  startTime: string;
  endTime?: string;
}

interface Participant {
  name: string;
  role: 'HUMAN_AGENT' | 'AUTOMATED_AGENT' | 'END_USER';
}

interface Message {
  name: string;
  content: string;
  languageCode: string;
  participant: string;
  participantRole: Participant['role'];
  createTime: string;
}

export interface ConversationState {
  conversations: Map<string, StandinConversation>;
  participants: Map<string, Participant[]>;
  messages: Map<string, Message[]>;
  published: number;
}

const ROLES = ['HUMAN_AGENT', 'AUTOMATED_AGENT', 'END_USER'] as const;
const ID = /^[A-Za-z0-9][A-Za-z0-9_.+~@-]{0,199}$/;

const error = (res: http.ServerResponse, code: number, status: string, message: string) => sendJson(res, code, { error: { code, message, status } });

export function conversationRoutes(options: {
  state: ConversationState;
  profile: ProfileLookup;
  publish?: NotificationPublisher | undefined;
  now?: () => Date;
}): MockRoute[] {
  const { state } = options;
  const now = options.now ?? (() => new Date());
  const readJson = readJsonObject;
  const parentOf = (req: MockRequest) => `projects/${req.params['project']}${req.params['location'] ? `/locations/${req.params['location']}` : ''}`;
  const topicOf = (profileName: string, path: string[]): string | undefined => {
    let node: unknown = options.profile(profileName);
    for (const key of path) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    return typeof node === 'string' && node.length > 0 ? node : undefined;
  };
  const notify = async (conversation: StandinConversation, path: string[], data: Record<string, unknown>, attributes?: Record<string, string>) => {
    const topic = topicOf(conversation.conversationProfile, path);
    if (!topic || !options.publish) return;
    await options.publish(topic, data, attributes);
    state.published++;
  };
  const conversation = (req: MockRequest, res: http.ServerResponse): StandinConversation | undefined => {
    const name = `${parentOf(req)}/conversations/${req.params['conversation']}`;
    const found = state.conversations.get(name);
    if (!found) error(res, 404, 'NOT_FOUND', `Conversation ${name} not found.`);
    return found;
  };

  const routes: MockRoute[] = [];
  for (const version of ['v2', 'v2beta1']) {
    for (const prefix of [`/${version}/projects/:project/locations/:location`, `/${version}/projects/:project`]) {
      routes.push(
        {
          method: 'POST',
          path: `${prefix}/conversations`,
          handle: async (req, res) => {
            const body = readJson(req);
            const profileName = body?.['conversationProfile'];
            if (typeof profileName !== 'string' || !options.profile(profileName))
              return error(res, 400, 'INVALID_ARGUMENT', 'conversationProfile must name an existing conversation profile.');
            const id = req.query.get('conversationId') ?? randomUUID();
            if (!ID.test(id)) return error(res, 400, 'INVALID_ARGUMENT', 'conversationId is not a valid id.');
            const name = `${parentOf(req)}/conversations/${id}`;
            if (state.conversations.has(name)) return error(res, 409, 'ALREADY_EXISTS', `Conversation ${name} already exists.`);
            const created: StandinConversation = {
              name,
              lifecycleState: 'IN_PROGRESS',
              conversationProfile: profileName,
              conversationStage: 'HUMAN_ASSIST_STAGE',
              startTime: now().toISOString(),
            };
            state.conversations.set(name, created);
            state.participants.set(name, []);
            state.messages.set(name, []);
            await notify(created, ['notificationConfig', 'topic'], { conversation: name, type: 'CONVERSATION_STARTED' });
            sendJson(res, 200, created);
          },
        },
        {
          method: 'GET',
          path: `${prefix}/conversations/:conversation`,
          handle: (req, res) => {
            const found = conversation(req, res);
            if (found) sendJson(res, 200, found);
          },
        },
        {
          method: 'POST',
          path: `${prefix}/conversations/:conversation`,
          handle: async (req, res) => {
            // Custom method on the conversation: ":complete" is the one the stand-in has.
            const [id, verb] = (req.params['conversation'] ?? '').split(':');
            if (verb !== 'complete') return error(res, 404, 'NOT_FOUND', `Method ${verb ?? ''} not found.`);
            req.params['conversation'] = id ?? '';
            const found = conversation(req, res);
            if (!found) return;
            if (found.lifecycleState !== 'COMPLETED') {
              found.lifecycleState = 'COMPLETED';
              found.endTime = now().toISOString();
              await notify(found, ['notificationConfig', 'topic'], { conversation: found.name, type: 'CONVERSATION_FINISHED' });
            }
            sendJson(res, 200, found);
          },
        },
        {
          method: 'POST',
          path: `${prefix}/conversations/:conversation/participants`,
          handle: (req, res) => {
            const found = conversation(req, res);
            if (!found) return;
            const role = readJson(req)?.['role'];
            if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role))
              return error(res, 400, 'INVALID_ARGUMENT', 'role must be HUMAN_AGENT, AUTOMATED_AGENT or END_USER.');
            const participant: Participant = { name: `${found.name}/participants/${randomUUID()}`, role: role as Participant['role'] };
            state.participants.get(found.name)!.push(participant);
            sendJson(res, 200, participant);
          },
        },
        {
          method: 'GET',
          path: `${prefix}/conversations/:conversation/participants`,
          handle: (req, res) => {
            const found = conversation(req, res);
            if (found) sendJson(res, 200, { participants: state.participants.get(found.name) ?? [] });
          },
        },
        {
          method: 'GET',
          path: `${prefix}/conversations/:conversation/messages`,
          handle: (req, res) => {
            const found = conversation(req, res);
            if (found) sendJson(res, 200, { messages: state.messages.get(found.name) ?? [] });
          },
        },
        {
          method: 'POST',
          path: `${prefix}/conversations/:conversation/participants/:participant`,
          handle: async (req, res) => {
            const [participantId, verb] = (req.params['participant'] ?? '').split(':');
            if (verb !== 'analyzeContent') return error(res, 404, 'NOT_FOUND', `Method ${verb ?? ''} not found.`);
            const found = conversation(req, res);
            if (!found) return;
            const participant = state.participants.get(found.name)?.find((p) => p.name === `${found.name}/participants/${participantId}`);
            if (!participant) return error(res, 404, 'NOT_FOUND', `Participant ${participantId} not found.`);
            if (found.lifecycleState === 'COMPLETED') return error(res, 400, 'FAILED_PRECONDITION', 'The conversation is completed.');
            const input = readJson(req)?.['textInput'];
            const text = input !== null && typeof input === 'object' ? (input as Record<string, unknown>)['text'] : undefined;
            if (typeof text !== 'string' || text.length === 0)
              return error(res, 400, 'INVALID_ARGUMENT', 'textInput.text is required (the stand-in analyzes text only).');
            const languageCode = (input as Record<string, unknown>)['languageCode'];
            const message: Message = {
              name: `${found.name}/messages/${randomUUID()}`,
              content: text,
              languageCode: typeof languageCode === 'string' ? languageCode : 'en-US',
              participant: participant.name,
              participantRole: participant.role,
              createTime: now().toISOString(),
            };
            state.messages.get(found.name)!.push(message);
            await notify(found, ['newMessageEventNotificationConfig', 'topic'], { conversation: found.name, type: 'NEW_MESSAGE', newMessagePayload: message });
            const agent = state.participants.get(found.name)?.find((p) => p.role === 'HUMAN_AGENT');
            const suggestionResults = [
              {
                suggestSmartRepliesResponse: {
                  smartReplyAnswers: [
                    {
                      reply: `Thanks, I can help with: ${text.slice(0, 60)}`,
                      confidence: 0.8,
                      answerRecord: `${found.name.replace(/conversations\/.*/, '')}answerRecords/${randomUUID()}`,
                    },
                  ],
                  latestMessage: message.name,
                  contextSize: 1,
                },
              },
            ];
            if (participant.role === 'END_USER' && agent) {
              await notify(found, ['humanAgentAssistantConfig', 'notificationConfig', 'topic'], {
                conversation: found.name,
                participant: agent.name,
                suggestionResults,
              });
            }
            sendJson(res, 200, { message, ...(participant.role === 'END_USER' ? { humanAgentSuggestionResults: suggestionResults } : {}) });
          },
        },
        {
          method: 'GET',
          path: `${prefix}/conversations/:conversation/participants/:participant`,
          handle: (req, res) => {
            const found = conversation(req, res);
            if (!found) return;
            const participant = state.participants.get(found.name)?.find((p) => p.name === `${found.name}/participants/${req.params['participant']}`);
            if (participant) sendJson(res, 200, participant);
            else error(res, 404, 'NOT_FOUND', 'Participant not found.');
          },
        },
      );
    }
  }
  return routes;
}
