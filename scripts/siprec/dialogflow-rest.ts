/**
 * The Dialogflow v2beta1 REST calls the SIPREC provisioning needs, over one got instance.
 * Plain REST for all of them: phone number orders exist only in REST (the Node client has
 * no PhoneNumberOrders), and one transport with one configurable endpoint is what lets the
 * tests point everything at the local mock. Responses are parsed with zod; unknown fields
 * are kept (PhoneNumberOrder's exact shape is not publicly documented).
 */
import got, { type Got } from 'got';
import * as z from 'zod';
import { withoutTrailingSlash } from '../../shared/http/url';

export const sipConfigSchema = z.looseObject({
  createConversationOnTheFly: z.boolean().optional(),
  allowVirtualAgentInteraction: z.boolean().optional(),
});

/** ConversationProfile.NotificationConfig (v2beta1): `topic`, `messageFormat` (PROTO | JSON). */
export const notificationConfigSchema = z.looseObject({
  topic: z.string().optional(),
  messageFormat: z.string().optional(),
});

export const conversationProfileSchema = z.looseObject({
  name: z.string(),
  displayName: z.string().optional(),
  sipConfig: sipConfigSchema.optional(),
  newRecognitionResultNotificationConfig: notificationConfigSchema.optional(),
});
export type ConversationProfile = z.infer<typeof conversationProfileSchema>;

export const phoneNumberSchema = z.looseObject({
  name: z.string(),
  phoneNumber: z.string().optional(),
  conversationProfile: z.string().optional(),
  lifecycleState: z.string().optional(),
});
export type PhoneNumber = z.infer<typeof phoneNumberSchema>;

const listPhoneNumbersSchema = z.looseObject({
  phoneNumbers: z.array(phoneNumberSchema).optional(),
  nextPageToken: z.string().optional(),
});

export const phoneNumberOrderSchema = z.looseObject({
  name: z.string(),
  description: z.string().optional(),
  state: z.string().optional(),
  // Tolerated as E.164 strings, resource names, or PhoneNumber-like objects.
  phoneNumbers: z.array(z.union([z.string(), z.looseObject({ phoneNumber: z.string().optional(), name: z.string().optional() })])).optional(),
});
export type PhoneNumberOrder = z.infer<typeof phoneNumberOrderSchema>;

const listOrdersSchema = z.looseObject({
  phoneNumberOrders: z.array(phoneNumberOrderSchema).optional(),
  nextPageToken: z.string().optional(),
});

export interface PhoneNumberSpec {
  count: number;
  countryCode?: number;
  preferredPrefixes?: string[];
}

/** The port the provisioning runs against. */
export interface DialogflowApi {
  getConversationProfile(name: string): Promise<ConversationProfile>;
  updateSipConfig(name: string, sipConfig: z.infer<typeof sipConfigSchema>): Promise<ConversationProfile>;
  updateRecognitionNotifications(name: string, config: z.infer<typeof notificationConfigSchema>): Promise<ConversationProfile>;
  listPhoneNumbers(parent: string): Promise<PhoneNumber[]>;
  linkPhoneNumber(phoneNumberName: string, conversationProfile: string): Promise<PhoneNumber>;
  listPhoneNumberOrders(parent: string): Promise<PhoneNumberOrder[]>;
  createPhoneNumberOrder(parent: string, order: { description: string; phoneNumberSpec: PhoneNumberSpec }): Promise<PhoneNumberOrder>;
  getPhoneNumberOrder(name: string): Promise<PhoneNumberOrder>;
}

export class DialogflowApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'DialogflowApiError';
  }
}

const googleErrorSchema = z.looseObject({ error: z.looseObject({ message: z.string().optional(), status: z.string().optional() }) });

/** Regional locations have their own host; "global" uses the global one. */
export function defaultDialogflowEndpoint(location: string): string {
  return location === 'global' ? 'https://dialogflow.googleapis.com' : `https://${location}-dialogflow.googleapis.com`;
}

export function createDialogflowRest(options: { endpoint: string; getAccessToken?: () => Promise<string | undefined>; timeoutMs?: number }): DialogflowApi {
  const http: Got = got.extend({
    prefixUrl: `${withoutTrailingSlash(options.endpoint)}/v2beta1`,
    timeout: { request: options.timeoutMs ?? 30_000 },
    // Reads and the idempotent PATCHes may be retried; an order (POST) is never sent twice.
    retry: { limit: 2, methods: ['GET', 'PATCH'], statusCodes: [429, 500, 502, 503, 504] },
    throwHttpErrors: false,
    responseType: 'text',
    hooks: {
      beforeRequest: [
        async (req) => {
          const token = await options.getAccessToken?.();
          if (token) req.headers['authorization'] = `Bearer ${token}`;
        },
      ],
    },
  });

  const call = async <S extends z.ZodType>(
    schema: S,
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    opts: { searchParams?: Record<string, string>; json?: unknown } = {},
  ): Promise<z.output<S>> => {
    const res = await http(path, {
      method,
      ...(opts.searchParams ? { searchParams: opts.searchParams } : {}),
      ...(opts.json !== undefined ? { json: opts.json } : {}),
    });
    const body = res.body as string;
    let parsedJson: unknown;
    try {
      parsedJson = body ? JSON.parse(body) : {};
    } catch {
      parsedJson = undefined;
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const err = googleErrorSchema.safeParse(parsedJson);
      const detail = err.success ? `${err.data.error.status ?? ''} ${err.data.error.message ?? ''}`.trim() : `HTTP ${res.statusCode}`;
      throw new DialogflowApiError(`${method} ${path}: ${detail}`, res.statusCode);
    }
    const parsed = schema.safeParse(parsedJson);
    if (!parsed.success) throw new DialogflowApiError(`${method} ${path}: unexpected response shape`, res.statusCode);
    return parsed.data;
  };

  return {
    getConversationProfile: (name) => call(conversationProfileSchema, 'GET', name),
    updateSipConfig: (name, sipConfig) =>
      call(conversationProfileSchema, 'PATCH', name, { searchParams: { updateMask: 'sipConfig' }, json: { name, sipConfig } }),
    updateRecognitionNotifications: (name, config) =>
      call(conversationProfileSchema, 'PATCH', name, {
        searchParams: { updateMask: 'newRecognitionResultNotificationConfig' },
        json: { name, newRecognitionResultNotificationConfig: config },
      }),
    async listPhoneNumbers(parent) {
      const out: PhoneNumber[] = [];
      let pageToken: string | undefined;
      do {
        const page = await call(listPhoneNumbersSchema, 'GET', `${parent}/phoneNumbers`, {
          searchParams: { pageSize: '100', ...(pageToken ? { pageToken } : {}) },
        });
        out.push(...(page.phoneNumbers ?? []));
        pageToken = page.nextPageToken || undefined;
      } while (pageToken);
      return out;
    },
    linkPhoneNumber: (phoneNumberName, conversationProfile) =>
      call(phoneNumberSchema, 'PATCH', phoneNumberName, {
        searchParams: { updateMask: 'conversationProfile' },
        json: { name: phoneNumberName, conversationProfile },
      }),
    async listPhoneNumberOrders(parent) {
      const out: PhoneNumberOrder[] = [];
      let pageToken: string | undefined;
      do {
        const page = await call(listOrdersSchema, 'GET', `${parent}/phoneNumberOrders`, { searchParams: pageToken ? { pageToken } : {} });
        out.push(...(page.phoneNumberOrders ?? []));
        pageToken = page.nextPageToken || undefined;
      } while (pageToken);
      return out;
    },
    createPhoneNumberOrder: (parent, order) => call(phoneNumberOrderSchema, 'POST', `${parent}/phoneNumberOrders`, { json: order }),
    getPhoneNumberOrder: (name) => call(phoneNumberOrderSchema, 'GET', name),
  };
}
