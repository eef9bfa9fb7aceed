/**
 * Settings of the Agent Assist half of ui-connector: the Salesforce Lightning component's
 * `/register`, the Dialogflow proxy, the socket server and the notification consumer
 * (documented in README.md, "Salesforce Lightning component").
 */
import * as z from 'zod';
import { envInt, envList, envString, envUrl } from '../../shared/config';

/** A Salesforce record id: 15 case-sensitive characters, or 18 with the case-safe suffix. */
const SALESFORCE_ID = /^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/;

/**
 * The org's domain as the reference takes it (`acme.my.salesforce.com`), or a full URL.
 * Plain http only for loopback (the local stand-in).
 */
const salesforceDomain = () =>
  envString()
    .transform((v) => (v.includes('://') ? v : `https://${v}`))
    .pipe(envUrl())
    .refine(
      (v) => {
        const url = new URL(v);
        return url.protocol === 'https:' || (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname));
      },
      { error: 'must be the org domain (acme.my.salesforce.com) or an https:// URL' },
    )
    .transform((v) => new URL(v).origin);

export const agentAssistConfigShape = {
  SALESFORCE_DOMAIN: salesforceDomain().optional(),
  SALESFORCE_ORGANIZATION_ID: envList()
    .pipe(z.array(z.string().regex(SALESFORCE_ID, { error: 'each value must be a 15- or 18-character Salesforce org id' })))
    .default([]),
  UI_CONNECTOR_SALESFORCE_TIMEOUT_MS: envInt(100, 5000).default(3000),
  UI_CONNECTOR_SALESFORCE_CACHE_SECONDS: envInt(0, 300).default(60),
  /** Overrides the regional Dialogflow endpoint (the local stand-in); unset in production. */
  DIALOGFLOW_API_ENDPOINT: envUrl().optional(),
  UI_CONNECTOR_DIALOGFLOW_TIMEOUT_MS: envInt(1000, 60_000).default(30_000),
  /** `accept` only on the private deployment Pub/Sub pushes to (Cloud Run IAM checks the push identity). */
  UI_CONNECTOR_NOTIFICATIONS: z.enum(['accept', 'off'], { error: 'must be accept or off' }).default('off'),
  UI_CONNECTOR_EVENTS_COLLECTION: envString().default('agentAssistEvents'),
  /** How long an event waits for an agent who has not joined yet (also the TTL of its document). */
  UI_CONNECTOR_EVENT_RETENTION_SECONDS: envInt(30, 3600).default(600),
  UI_CONNECTOR_EVENT_POLL_MS: envInt(20, 5000).default(250),
};
