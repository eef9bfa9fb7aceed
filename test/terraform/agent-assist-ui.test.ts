// terraform/agent_assist_ui.tf rendered with an image set (the static evaluator of
// lib/evaluate.ts, example tfvars): one public Cloud Run service for REST + socket, a
// private consumer reached only by the push identity, one OIDC push subscription per
// notification topic, and least privilege for each identity.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@cdktf/hcl2json';
import { Evaluator, refsOf, refString, type Value } from './lib/evaluate';
import { type Json, loadConfiguration } from './lib/hcl';

const repo = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const refNames = (v: Value): string[] => refsOf(v).map(refString);
/** An HCL interpolation as hcl2json writes it: ${expr}. */
const hcl = (expr: string) => `\${${expr}}`;
let ev: Evaluator;

function instances(type: string) {
  return ev
    .resourceInstances('resource', (t) => t === type)
    .map((r) => ({
      ...r,
      attr: (...path: string[]) => ev.attribute(r.instance, r.block, r.key, r.each, path),
    }));
}
const envOf = (service: ReturnType<typeof instances>[number]) => {
  const out: Record<string, Value> = {};
  const containers = service.attr('template', '0', 'containers') as unknown as Array<{ env?: Array<{ name: string; value?: Value }> }>;
  for (const e of containers?.[0]?.env ?? []) out[String(e.name)] = e.value ?? null;
  return out;
};

beforeAll(async () => {
  const example = (await parse('terraform.tfvars.example', readFileSync(join(repo, 'terraform', 'terraform.tfvars.example'), 'utf8'))) as Record<string, Json>;
  ev = new Evaluator(await loadConfiguration(join(repo, 'terraform')), {
    rootVariables: {
      ...example,
      agent_assist_ui_image: 'europe-docker.pkg.dev/p/ccbridge/ui-connector-run:1',
      salesforce_domain: 'acme.my.salesforce.com',
      salesforce_organization_ids: ['00D5g000004ABcD'],
    },
  });
});

describe('Agent Assist desktop (terraform/agent_assist_ui.tf)', () => {
  it('creates the four notification topics and lets only the Dialogflow service agent publish to them', () => {
    const topics = instances('google_pubsub_topic').filter((t) => t.block.name === 'agent_assist_notifications');
    expect(topics.map((t) => t.attr('name')).sort()).toEqual([
      'agent-assist-lifecycle',
      'agent-assist-new-messages',
      'agent-assist-recognition-results',
      'agent-assist-suggestions',
    ]);
    const publishers = instances('google_pubsub_topic_iam_member').filter((g) => g.block.name === 'dialogflow_publishes_notifications');
    expect(publishers).toHaveLength(4);
    for (const g of publishers) {
      expect(g.attr('role')).toBe('roles/pubsub.publisher');
      // service-<project number>@gcp-sa-dialogflow.iam.gserviceaccount.com (the number is known at apply).
      expect(g.block.body['member']).toBe(`serviceAccount:${hcl('local.dialogflow_service_agent')}`);
      expect(refNames(g.attr('member'))).toContain('data.google_project.this.number');
    }
  });

  it('serves REST and the socket from one public Cloud Run service with a 60-minute timeout, the consumer from a private one', () => {
    const services = instances('google_cloud_run_v2_service');
    const ui = services.find((s) => s.attr('name') === 'ui-connector-run')!;
    const events = services.find((s) => s.attr('name') === 'agent-assist-events')!;
    expect(ui.attr('template', '0', 'timeout')).toBe('3600s');
    expect(ui.attr('template', '0', 'session_affinity')).toBe(true);
    expect(envOf(ui)).toMatchObject({
      UI_CONNECTOR_NOTIFICATIONS: 'off',
      SALESFORCE_DOMAIN: 'acme.my.salesforce.com',
      SALESFORCE_ORGANIZATION_ID: '00D5g000004ABcD',
    });
    expect(envOf(events)).toMatchObject({ UI_CONNECTOR_NOTIFICATIONS: 'accept' });
    const invokers = instances('google_cloud_run_v2_service_iam_member');
    const publicGrants = invokers.filter((g) => g.attr('member') === 'allUsers');
    expect(publicGrants.map((g) => g.attr('name'))).toEqual(['ui-connector-run']);
    const eventsInvokers = invokers.filter((g) => g.attr('name') === 'agent-assist-events');
    expect(eventsInvokers).toHaveLength(1);
    expect(eventsInvokers[0]!.attr('role')).toBe('roles/run.invoker');
    expect(refNames(eventsInvokers[0]!.attr('member'))).toContain('google_service_account.agent_assist_push[0].email');
  });

  it(
    'grants the proxy identity the Agent Assist client ' +
      'role and Firestore only, the consumer Firestore ' +
      'only, the push identity nothing at project level',
    () => {
      const grants = instances('google_project_iam_member');
      const rolesOf = (account: string) =>
        grants
          .filter((g) => refNames(g.attr('member')).some((r) => r.startsWith(`google_service_account.${account}[`)))
          .map((g) => g.attr('role'))
          .sort();
      expect(rolesOf('agent_assist_ui')).toEqual(['roles/datastore.user', 'roles/dialogflow.agentAssistClient']);
      expect(rolesOf('agent_assist_events')).toEqual(['roles/datastore.user']);
      expect(rolesOf('agent_assist_push')).toEqual([]);
    },
  );

  it('pushes each topic to the consumer path of its socket event with an OIDC token of the push identity', () => {
    const subs = instances('google_pubsub_subscription').filter((s) => s.block.name === 'agent_assist_notifications_push');
    expect(subs).toHaveLength(4);
    expect(subs.map((s) => s.key).sort()).toEqual([
      'conversation-lifecycle-event',
      'human-agent-assistant-event',
      'new-message-event',
      'new-recognition-result-notification-event',
    ]);
    for (const s of subs) {
      // https://agent-assist-events-<project number>.<region>.run.app/notifications/<socket event>
      expect((s.block.body['push_config'] as Array<Record<string, unknown>>)[0]!['push_endpoint']).toBe(
        `${hcl('local.aa_events_url')}/notifications/${hcl('each.key')}`,
      );
      expect(refNames(s.attr('push_config', '0', 'oidc_token', '0', 'service_account_email'))).toContain('google_service_account.agent_assist_push[0].email');
    }
  });
});
