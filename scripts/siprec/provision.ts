/**
 * Idempotent SIPREC provisioning for a conversation profile:
 *   1. the profile has `sipConfig.createConversationOnTheFly = true` (patched if not);
 *   2. an ACTIVE phone number linked to the profile exists — or one is linked: a number
 *      from an order this tool placed for the profile, ordered now if there is none;
 *   3. the SIPREC recording-server URI of that number is returned;
 *   and, when a topic is given, the profile publishes new recognition results to it as JSON
 *   (`newRecognitionResultNotificationConfig`, which Terraform's provider cannot set).
 * Re-running never orders a second number while one order is pending or fulfilled: orders
 * are recognised by their description, which names the profile.
 */
import type { DialogflowApi, PhoneNumber, PhoneNumberOrder, PhoneNumberSpec } from './dialogflow-rest';
import { sleep as defaultSleep } from '../../shared/sleep';

export const SIPREC_HOST = '216.239.36.145:5672';

/** The URI the Twilio SIPREC connector records to. */
export function siprecUri(e164: string): string {
  const digits = e164.replace(/[^\d]/g, '');
  return `sip:+${digits}@${SIPREC_HOST};transport=tls;secure=true;edge=umatilla`;
}

export interface ProfileRef {
  project: string;
  location: string;
  id: string;
  /** projects/<p>/locations/<l>/conversationProfiles/<id> */
  name: string;
  /** projects/<p>/locations/<l> */
  parent: string;
}

/** Accepts a bare id (with project/location) or a full name, with or without locations/. */
export function resolveProfile(profile: string, defaults: { project?: string | undefined; location?: string | undefined }): ProfileRef {
  const full = /^projects\/([^/]+)\/(?:locations\/([^/]+)\/)?conversationProfiles\/([^/]+)$/.exec(profile);
  const project = full ? full[1]! : defaults.project;
  const location = (full ? full[2] : undefined) ?? defaults.location ?? 'global';
  const id = full ? full[3]! : profile;
  if (!project) throw new Error('the project is needed: pass --project or a full profile name');
  if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new Error(`not a conversation profile id: ${id}`);
  const parent = `projects/${project}/locations/${location}`;
  return { project, location, id, parent, name: `${parent}/conversationProfiles/${id}` };
}

export type ProvisionResult =
  | { status: 'ready'; phoneNumber: string; phoneNumberName: string; siprecUri: string; actions: string[] }
  | { status: 'pending'; orderName: string; actions: string[] };

export interface ProvisionOptions {
  profile: ProfileRef;
  spec?: Omit<PhoneNumberSpec, 'count'>;
  /** How long to wait for an order to be fulfilled before answering "pending". */
  waitMs: number;
  pollMs: number;
  /** projects/<p>/topics/<t> for newRecognitionResultNotificationConfig (JSON messages). */
  recognitionTopic?: string;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  log?: (line: string) => void;
}

const orderMarker = (profile: ProfileRef) => `ccbridge SIPREC number for ${profile.name}`;
const DONE_STATES = new Set(['COMPLETED', 'SUCCEEDED', 'DONE', 'FULFILLED']);
const DEAD_STATES = new Set(['FAILED', 'CANCELLED', 'CANCELED', 'EXPIRED']);

export async function ensureSiprecNumber(api: DialogflowApi, options: ProvisionOptions): Promise<ProvisionResult> {
  const { profile } = options;
  const log = options.log ?? (() => undefined);
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const actions: string[] = [];

  const current = await api.getConversationProfile(profile.name);
  if (current.sipConfig?.createConversationOnTheFly === true) {
    log(`profile ${profile.name}: createConversationOnTheFly already on`);
  } else {
    await api.updateSipConfig(profile.name, { ...(current.sipConfig ?? {}), createConversationOnTheFly: true });
    actions.push('enabled sipConfig.createConversationOnTheFly');
    log(`profile ${profile.name}: enabled createConversationOnTheFly`);
  }

  if (options.recognitionTopic !== undefined) {
    const wanted = { topic: options.recognitionTopic, messageFormat: 'JSON' };
    const have = current.newRecognitionResultNotificationConfig;
    if (have?.topic === wanted.topic && have.messageFormat === wanted.messageFormat) {
      log(`profile ${profile.name}: recognition results already published to ${wanted.topic}`);
    } else {
      await api.updateRecognitionNotifications(profile.name, wanted);
      actions.push(`set newRecognitionResultNotificationConfig to ${wanted.topic} (JSON)`);
      log(`profile ${profile.name}: recognition results now published to ${wanted.topic}`);
    }
  }

  const numbers = await api.listPhoneNumbers(profile.parent);
  const linked = numbers.find((n) => isActive(n) && sameProfile(n.conversationProfile, profile));
  if (linked?.phoneNumber) {
    log(`number ${linked.phoneNumber} is already linked to the profile`);
    return ready(linked, actions);
  }

  const orders = (await api.listPhoneNumberOrders(profile.parent)).filter((o) => o.description === orderMarker(profile) && !DEAD_STATES.has(o.state ?? ''));
  let order = orders.find((o) => DONE_STATES.has(o.state ?? '')) ?? orders[0];
  if (order) {
    log(`found order ${order.name} (${order.state ?? 'state unknown'})`);
  } else {
    order = await api.createPhoneNumberOrder(profile.parent, {
      description: orderMarker(profile),
      phoneNumberSpec: {
        count: 1,
        ...(options.spec?.countryCode !== undefined ? { countryCode: options.spec.countryCode } : {}),
        ...(options.spec?.preferredPrefixes?.length ? { preferredPrefixes: options.spec.preferredPrefixes } : {}),
      },
    });
    actions.push(`ordered a number (${order.name})`);
    log(`ordered a number: ${order.name}`);
  }

  const deadline = now() + options.waitMs;
  while (!DONE_STATES.has(order.state ?? '')) {
    if (DEAD_STATES.has(order.state ?? '')) throw new Error(`phone number order ${order.name} ended ${order.state}; re-run to place a new one`);
    if (now() >= deadline) return { status: 'pending', orderName: order.name, actions };
    await sleep(Math.min(options.pollMs, Math.max(deadline - now(), 0)));
    order = await api.getPhoneNumberOrder(order.name);
  }

  // The order's numbers, as ACTIVE PhoneNumber resources (listed again: the order may have just been fulfilled).
  const ordered = orderedNumbers(order);
  const candidates = (await api.listPhoneNumbers(profile.parent)).filter(
    (n) => isActive(n) && (ordered.has(n.name) || (n.phoneNumber !== undefined && ordered.has(n.phoneNumber))),
  );
  const alreadyOurs = candidates.find((n) => sameProfile(n.conversationProfile, profile));
  if (alreadyOurs?.phoneNumber) return ready(alreadyOurs, actions);
  // A number of ours that some other profile took meanwhile is left alone.
  const free = candidates.find((n) => !n.conversationProfile);
  if (!free) throw new Error(`order ${order.name} is fulfilled but none of its numbers is ACTIVE and free`);
  const result = await api.linkPhoneNumber(free.name, profile.name);
  actions.push(`linked ${result.phoneNumber ?? free.phoneNumber} to the profile`);
  log(`linked ${free.name} to ${profile.name}`);
  return ready({ ...free, ...result }, actions);
}

function ready(number: PhoneNumber, actions: string[]): ProvisionResult {
  const phoneNumber = number.phoneNumber;
  if (!phoneNumber) throw new Error(`phone number ${number.name} has no phoneNumber`);
  return { status: 'ready', phoneNumber, phoneNumberName: number.name, siprecUri: siprecUri(phoneNumber), actions };
}

function isActive(n: PhoneNumber): boolean {
  return n.lifecycleState === undefined || n.lifecycleState === 'ACTIVE';
}

/** The API may answer a profile name with or without `locations/global/`. */
function sameProfile(name: string | undefined, profile: ProfileRef): boolean {
  if (!name) return false;
  if (name === profile.name) return true;
  return profile.location === 'global' && name === `projects/${profile.project}/conversationProfiles/${profile.id}`;
}

function orderedNumbers(order: PhoneNumberOrder): Set<string> {
  const out = new Set<string>();
  for (const n of order.phoneNumbers ?? []) {
    if (typeof n === 'string') out.add(n);
    else {
      if (n.name) out.add(n.name);
      if (n.phoneNumber) out.add(n.phoneNumber);
    }
  }
  return out;
}
