// scripts/terraform/attach-dead-letter.ts against fake subscriptions: it configures only the
// Eventarc subscription of the function, is idempotent, and refuses to guess.

import { type AttachOptions, attachDeadLetter, type IamPolicy, isEventarcSubscriptionOf, parseArgs, type SubscriptionPort, withBinding } from '../../scripts/terraform/attach-dead-letter';

const opts: AttachOptions = {
  project: 'p',
  topic: 'zoom-events',
  pushEndpoint: 'https://interaction-worker-abc-uc.a.run.app',
  deadLetterTopic: 'projects/p/topics/zoom-events-dead-letter',
  maxDeliveryAttempts: 10,
  serviceAgent: 'service-1@gcp-sa-pubsub.iam.gserviceaccount.com',
};

function fakeSubscription(name: string, pushEndpoint: string | null): SubscriptionPort & { calls: string[] } {
  let deadLetter: { topic: string; maxDeliveryAttempts: number } | null = null;
  let policy: IamPolicy = { bindings: [{ role: 'roles/pubsub.viewer', members: ['user:a@example.com'] }], etag: 'e1' };
  const calls: string[] = [];
  return {
    name,
    calls,
    pushEndpoint: async () => pushEndpoint,
    deadLetter: async () => deadLetter,
    setDeadLetter: async (topic, maxDeliveryAttempts) => {
      calls.push(`setDeadLetter ${topic} ${maxDeliveryAttempts}`);
      deadLetter = { topic, maxDeliveryAttempts };
    },
    getPolicy: async () => policy,
    setPolicy: async (p) => {
      calls.push(`setPolicy ${JSON.stringify(p.bindings)}`);
      policy = p;
    },
  };
}

describe('attach-dead-letter', () => {
  it('recognises the Eventarc push endpoint of the function, not of another service', () => {
    const uri = 'https://interaction-worker-abc-uc.a.run.app';
    expect(isEventarcSubscriptionOf(`${uri}?__GCP_CloudEventsMode=CUSTOM_PUBSUB_projects%2Fp%2Ftopics%2Fzoom-events`, uri)).toBe(true);
    expect(isEventarcSubscriptionOf(`${uri}/`, `${uri}/`)).toBe(true);
    expect(isEventarcSubscriptionOf('https://interaction-worker-abc-uc.a.run.app.evil.example', uri)).toBe(false);
    expect(isEventarcSubscriptionOf(null, uri)).toBe(false);
  });

  it('sets the dead-letter policy and the service agent subscriber binding on the function subscription only, once', async () => {
    const mine = fakeSubscription('projects/p/subscriptions/eventarc-us-central1-interaction-worker-1-sub-1', `${opts.pushEndpoint}?__GCP_CloudEventsMode=CUSTOM_PUBSUB`);
    const other = fakeSubscription('projects/p/subscriptions/audit', null);
    const lines: string[] = [];
    expect(await attachDeadLetter([other, mine], opts, (l) => lines.push(l))).toEqual([mine.name]);
    expect(other.calls).toEqual([]);
    expect(mine.calls).toEqual([
      'setDeadLetter projects/p/topics/zoom-events-dead-letter 10',
      `setPolicy ${JSON.stringify([
        { role: 'roles/pubsub.viewer', members: ['user:a@example.com'] },
        { role: 'roles/pubsub.subscriber', members: [`serviceAccount:${opts.serviceAgent}`] },
      ])}`,
    ]);
    await attachDeadLetter([other, mine], opts, () => undefined);
    expect(mine.calls).toHaveLength(2); // second run changes nothing
  });

  it('fails when no subscription pushes to the function (trigger missing), instead of configuring something else', async () => {
    await expect(attachDeadLetter([fakeSubscription('s', 'https://other.a.run.app')], opts, () => undefined)).rejects.toThrow(/no subscription of topic zoom-events pushes to/);
  });

  it('adds a member to an existing role binding without dropping others', () => {
    const { policy, changed } = withBinding({ bindings: [{ role: 'roles/pubsub.subscriber', members: ['user:b@example.com'] }] }, 'roles/pubsub.subscriber', 'serviceAccount:x');
    expect(changed).toBe(true);
    expect(policy.bindings).toEqual([{ role: 'roles/pubsub.subscriber', members: ['user:b@example.com', 'serviceAccount:x'] }]);
  });

  it('parses its flags and lists every problem at once', () => {
    expect(
      parseArgs([
        '--project', 'p', '--topic', 't', '--push-endpoint', 'https://x.a.run.app', '--dead-letter-topic', 'projects/p/topics/t-dead-letter',
        '--max-delivery-attempts', '10', '--service-agent', 'sa@x',
      ]),
    ).toEqual({ project: 'p', topic: 't', pushEndpoint: 'https://x.a.run.app', deadLetterTopic: 'projects/p/topics/t-dead-letter', maxDeliveryAttempts: 10, serviceAgent: 'sa@x' });
    expect(() => parseArgs(['--project', 'p', '--max-delivery-attempts', '3', '--push-endpoint', 'http://x'])).toThrow(
      '--topic is required; --dead-letter-topic is required; --service-agent is required; --max-delivery-attempts must be a whole number from 5 to 100; --push-endpoint must be an https URL',
    );
  });
});
