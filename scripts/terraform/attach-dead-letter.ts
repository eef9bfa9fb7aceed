// Gives the Pub/Sub subscription that Eventarc created for an event-driven function a
// dead-letter policy, and the Pub/Sub service agent the subscriber role on it.
//
// Why a script: Eventarc owns that subscription and neither the Eventarc API nor the
// Terraform provider can configure its dead-letter topic
// (hashicorp/terraform-provider-google#17697). Terraform creates the <topic>-dead-letter
// topic, its inspection subscription and the service agent's publisher right; this script
// does the rest. Idempotent: run after every deploy (terraform_data.attach_dead_letter in
// terraform/functions.tf, or Cloud Build's post-apply step).
//
// Usage:
//   node_modules/.bin/tsx scripts/terraform/attach-dead-letter.ts --project P --topic zoom-events \
//     --push-endpoint https://interaction-worker-xyz-uc.a.run.app \
//     --dead-letter-topic projects/P/topics/zoom-events-dead-letter --max-delivery-attempts 10 \
//     --service-agent service-123@gcp-sa-pubsub.iam.gserviceaccount.com

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PubSub } from '@google-cloud/pubsub';

export interface AttachOptions {
  project: string;
  topic: string;
  /** URI of the function's Cloud Run service; Eventarc pushes to it (plus a query string). */
  pushEndpoint: string;
  deadLetterTopic: string;
  maxDeliveryAttempts: number;
  serviceAgent: string;
}

export interface IamBinding {
  role?: string | null;
  members?: string[] | null;
}

export interface IamPolicy {
  bindings?: IamBinding[] | null;
  etag?: string | Buffer | null;
}

/** What the script needs from one subscription (the real client, or a fake in tests). */
export interface SubscriptionPort {
  name: string;
  pushEndpoint(): Promise<string | null>;
  deadLetter(): Promise<{ topic: string; maxDeliveryAttempts: number } | null>;
  setDeadLetter(topic: string, maxDeliveryAttempts: number): Promise<void>;
  getPolicy(): Promise<IamPolicy>;
  setPolicy(policy: IamPolicy): Promise<void>;
}

export function parseArgs(argv: readonly string[]): AttachOptions {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (!flag?.startsWith('--') || value === undefined) throw new Error(`expected --flag value pairs, got ${flag ?? '(nothing)'}`);
    values.set(flag.slice(2), value);
  }
  const problems: string[] = [];
  const get = (k: string): string => {
    const v = values.get(k);
    if (!v) problems.push(`--${k} is required`);
    return v ?? '';
  };
  const opts: AttachOptions = {
    project: get('project'),
    topic: get('topic'),
    pushEndpoint: get('push-endpoint'),
    deadLetterTopic: get('dead-letter-topic'),
    maxDeliveryAttempts: Number(get('max-delivery-attempts')),
    serviceAgent: get('service-agent'),
  };
  if (!Number.isInteger(opts.maxDeliveryAttempts) || opts.maxDeliveryAttempts < 5 || opts.maxDeliveryAttempts > 100) {
    problems.push('--max-delivery-attempts must be a whole number from 5 to 100');
  }
  if (opts.pushEndpoint && !/^https:\/\//.test(opts.pushEndpoint)) problems.push('--push-endpoint must be an https URL');
  if (problems.length > 0) throw new Error(problems.join('; '));
  return opts;
}

/** Eventarc pushes to the service URI with its own query string appended. */
export function isEventarcSubscriptionOf(pushEndpoint: string | null, serviceUri: string): boolean {
  if (!pushEndpoint) return false;
  const base = serviceUri.replace(/\/+$/, '');
  return pushEndpoint === base || pushEndpoint.startsWith(base + '?') || pushEndpoint.startsWith(base + '/');
}

/** The policy with `member` added to `role`, and whether that changed anything. */
export function withBinding(policy: IamPolicy, role: string, member: string): { policy: IamPolicy; changed: boolean } {
  const bindings = (policy.bindings ?? []).map((b) => ({ ...b, members: [...(b.members ?? [])] }));
  const existing = bindings.find((b) => b.role === role);
  if (existing?.members.includes(member)) return { policy, changed: false };
  if (existing) existing.members.push(member);
  else bindings.push({ role, members: [member] });
  return { policy: { ...policy, bindings }, changed: true };
}

/** Returns the names of the subscriptions it configured. */
export async function attachDeadLetter(subscriptions: readonly SubscriptionPort[], opts: AttachOptions, log: (line: string) => void): Promise<string[]> {
  const mine: SubscriptionPort[] = [];
  for (const s of subscriptions) if (isEventarcSubscriptionOf(await s.pushEndpoint(), opts.pushEndpoint)) mine.push(s);
  if (mine.length === 0) {
    throw new Error(`no subscription of topic ${opts.topic} pushes to ${opts.pushEndpoint}; has the function's Eventarc trigger been created?`);
  }
  const member = `serviceAccount:${opts.serviceAgent}`;
  for (const s of mine) {
    const current = await s.deadLetter();
    if (current?.topic === opts.deadLetterTopic && current.maxDeliveryAttempts === opts.maxDeliveryAttempts) {
      log(`${s.name}: dead-letter policy already set`);
    } else {
      await s.setDeadLetter(opts.deadLetterTopic, opts.maxDeliveryAttempts);
      log(`${s.name}: dead letters go to ${opts.deadLetterTopic} after ${opts.maxDeliveryAttempts} attempts`);
    }
    const { policy, changed } = withBinding(await s.getPolicy(), 'roles/pubsub.subscriber', member);
    if (changed) {
      await s.setPolicy(policy);
      log(`${s.name}: ${member} may acknowledge dead-lettered messages`);
    }
  }
  return mine.map((s) => s.name);
}

async function realSubscriptions(opts: AttachOptions): Promise<SubscriptionPort[]> {
  const pubsub = new PubSub({ projectId: opts.project });
  const [subscriptions] = await pubsub.topic(opts.topic).getSubscriptions();
  return subscriptions.map((sub) => ({
    name: sub.name,
    pushEndpoint: async () => (await sub.getMetadata())[0].pushConfig?.pushEndpoint ?? null,
    deadLetter: async () => {
      const p = (await sub.getMetadata())[0].deadLetterPolicy;
      return p?.deadLetterTopic ? { topic: p.deadLetterTopic, maxDeliveryAttempts: p.maxDeliveryAttempts ?? 0 } : null;
    },
    setDeadLetter: async (topic, maxDeliveryAttempts) => {
      await sub.setMetadata({ deadLetterPolicy: { deadLetterTopic: topic, maxDeliveryAttempts } });
    },
    getPolicy: async () => (await sub.iam.getPolicy())[0],
    setPolicy: async (policy) => {
      const bindings = (policy.bindings ?? []).map((b) => ({ role: b.role ?? null, members: b.members ?? [] }));
      // The etag makes the write fail rather than overwrite a concurrent change.
      await sub.iam.setPolicy(policy.etag ? { bindings, etag: policy.etag } : { bindings });
    },
  }));
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const names = await attachDeadLetter(await realSubscriptions(opts), opts, (line) => console.log(line));
  console.log(`configured ${names.length} subscription(s)`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
