// Since no `terraform plan` can run here, this renders what each function would be deployed
// with — trigger (push subscription, its dead-letter policy, ack deadline and back-off),
// identity, who may invoke it, roles, secrets, environment — from the Terraform files (the
// static evaluator of lib/evaluate.ts, example tfvars) and checks it against what Google
// documents (docs/contracts/google-cloud.md) and what the code expects.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@cdktf/hcl2json';
import { Evaluator, isObjectValue, refString, refsOf, type Value } from './lib/evaluate';
import { type Block, type Json, loadConfiguration } from './lib/hcl';

const repo = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

interface Effective {
  name: string;
  identity: string[];
  ingress: Value;
  invokers: string[];
  buildServiceAccount: string[];
  dependsOn: string[];
  timeoutSeconds: Value;
  env: Record<string, Value>;
  secrets: string[];
  projectRoles: Array<{ role: Value; condition: Value }>;
  push?: {
    name: string;
    topic: string[];
    endpoint: string[];
    oidcAccount: string[];
    audience: string[];
    ackDeadlineSeconds: Value;
    minimumBackoff: Value;
    maximumBackoff: Value;
    deadLetterTopic: string[];
    maxDeliveryAttempts: Value;
  };
}

let ev: Evaluator;
let rendered: Map<string, Effective>;

const refNames = (v: Value): string[] => refsOf(v).map(refString);
/** An HCL interpolation as hcl2json writes it: ${expr}. */
const hcl = (expr: string) => `\${${expr}}`;
const seconds = (v: Value): number => Number(String(v).replace(/s$/, ''));

function instances(type: string) {
  return ev
    .resourceInstances('resource', (t) => t === type)
    .map((r) => ({
      ...r,
      attr: (...path: string[]) => ev.attribute(r.instance, r.block, r.key, r.each, path),
    }));
}

function render(): Map<string, Effective> {
  const out = new Map<string, Effective>();
  const pushSubs = instances('google_pubsub_subscription').filter((s) => s.block.name === 'push');
  const projectGrants = instances('google_project_iam_member');
  for (const f of instances('google_cloudfunctions2_function')) {
    const name = String(f.attr('name'));
    const env = f.attr('service_config', '0', 'environment_variables');
    const secretItems = f.attr('service_config', '0', 'secret_environment_variables');
    const sub = pushSubs.find(
      (s) => refNames(s.attr('push_config', '0', 'push_endpoint')).some((r) => r.includes(`module.function["${name}"]`)) || String(s.key).startsWith(name),
    );
    const moduleCall = f.instance.call as Block | null;
    out.set(name, {
      name,
      identity: refNames(f.attr('service_config', '0', 'service_account_email')),
      ingress: f.attr('service_config', '0', 'ingress_settings'),
      invokers: instances('google_cloud_run_service_iam_member')
        .filter(
          (g) =>
            g.attr('role') === 'roles/run.invoker' &&
            (g.attr('service') === name || refNames(g.attr('service')).some((r) => r.includes(`module.function["${name}"]`))),
        )
        .flatMap((g) => {
          const m = g.attr('member');
          // The member's value, not the attribute reference the evaluator also records.
          return typeof m === 'string' ? [m] : refNames(m).filter((r) => !r.includes('_iam_member.'));
        }),
      buildServiceAccount: refNames(f.attr('build_config', '0', 'service_account')),
      dependsOn: ((moduleCall?.body['depends_on'] as string[] | undefined) ?? []).map(String),
      timeoutSeconds: f.attr('service_config', '0', 'timeout_seconds'),
      env: isObjectValue(env) ? env : {},
      secrets: Array.isArray(secretItems) ? secretItems.flatMap((i) => (isObjectValue(i) && typeof i['key'] === 'string' ? [i['key']] : [])) : [],
      projectRoles: projectGrants
        .filter((g) => g.instance === f.instance)
        .map((g) => ({ role: g.attr('role'), condition: g.attr('condition', '0', 'expression') })),
      ...(sub
        ? {
            push: {
              name: String(sub.key),
              topic: refNames(sub.attr('topic')),
              endpoint: refNames(sub.attr('push_config', '0', 'push_endpoint')),
              oidcAccount: refNames(sub.attr('push_config', '0', 'oidc_token', '0', 'service_account_email')),
              audience: refNames(sub.attr('push_config', '0', 'oidc_token', '0', 'audience')),
              ackDeadlineSeconds: sub.attr('ack_deadline_seconds'),
              minimumBackoff: sub.attr('retry_policy', '0', 'minimum_backoff'),
              maximumBackoff: sub.attr('retry_policy', '0', 'maximum_backoff'),
              deadLetterTopic: refNames(sub.attr('dead_letter_policy', '0', 'dead_letter_topic')),
              maxDeliveryAttempts: sub.attr('dead_letter_policy', '0', 'max_delivery_attempts'),
            },
          }
        : {}),
    });
  }
  return out;
}

beforeAll(async () => {
  const example = (await parse('terraform.tfvars.example', readFileSync(join(repo, 'terraform', 'terraform.tfvars.example'), 'utf8'))) as Record<string, Json>;
  ev = new Evaluator(await loadConfiguration(join(repo, 'terraform')), { rootVariables: example });
  rendered = render();
});

const get = (name: string): Effective => {
  const e = rendered.get(name);
  if (!e) throw new Error(`${name} is not deployed; rendered: ${[...rendered.keys()].join(', ')}`);
  return e;
};

describe('effective deployment of each function, rendered from terraform/', () => {
  it('renders every function of functions/functions.json', () => {
    const manifest = JSON.parse(readFileSync(join(repo, 'functions', 'functions.json'), 'utf8')) as { functions: { name: string }[] };
    expect([...rendered.keys()].sort()).toEqual(manifest.functions.map((f) => f.name).sort());
  });

  it('every function runs as its own service account and is built by a build account that has what a build needs (not the platform default)', () => {
    for (const e of rendered.values()) {
      expect(e.identity).toContain(`module.function["${e.name}"].google_service_account.this.email`);
      expect(e.buildServiceAccount.join(' ')).toContain('var.build_service_account');
    }
    const build = instances('google_project_iam_member').filter((g) => g.block.name === 'function_build');
    expect(build.map((g) => g.attr('role')).sort()).toEqual(['roles/artifactregistry.writer', 'roles/logging.logWriter']);
    expect(
      instances('google_storage_bucket_iam_member')
        .find((g) => g.block.name === 'function_build_sources')
        ?.attr('role'),
    ).toBe('roles/storage.objectViewer');
  });

  it('every function is created after its secrets (and their Terraform-sent versions) and after its build account has its roles', () => {
    for (const e of rendered.values()) {
      expect(e.dependsOn).toEqual(
        expect.arrayContaining([
          hcl('module.secrets'),
          hcl('google_project_iam_member.function_build'),
          hcl('google_storage_bucket_iam_member.function_build_sources'),
        ]),
      );
    }
  });

  it(
    'interaction-worker: a direct push subscription on zoom-events with OIDC, a dead-letter policy (so ' +
      'deliveryAttempt is set), ack deadline ≥ its timeout, back-off within Pub/Sub limits',
    () => {
      const w = get('interaction-worker');
      expect(w.push).toBeDefined();
      const p = w.push!;
      expect(p.name).toBe('interaction-worker-push');
      expect(p.topic.join(' ')).toContain('google_pubsub_topic.this');
      expect(p.endpoint.join(' ')).toContain('module.function["interaction-worker"]');
      expect(p.oidcAccount).toContain('google_service_account.pubsub_push.email');
      expect(p.audience.join(' ')).toContain('module.function["interaction-worker"]');
      expect(p.deadLetterTopic.join(' ')).toContain('google_pubsub_topic.dead_letter');
      expect(Number(p.ackDeadlineSeconds)).toBeGreaterThanOrEqual(Number(w.timeoutSeconds));
      expect(Number(p.ackDeadlineSeconds)).toBeLessThanOrEqual(600);
      expect(seconds(p.minimumBackoff)).toBeGreaterThanOrEqual(0);
      expect(seconds(p.maximumBackoff)).toBeLessThanOrEqual(600);
      // Only the push account may invoke it; Cloud Run checks the token first.
      expect(w.invokers).toEqual(['google_service_account.pubsub_push.member']);
      expect(w.ingress).toBe('ALLOW_INTERNAL_ONLY');
    },
  );

  it('interaction-worker: an earlier item merely waiting for redelivery never looks stale (ZOOM_ITEM_ORDER_STALE_MS > ack deadline + longest back-off)', () => {
    const w = get('interaction-worker');
    const stale = Number(w.env['ZOOM_ITEM_ORDER_STALE_MS']);
    expect(stale).toBeGreaterThan((Number(w.push!.ackDeadlineSeconds) + seconds(w.push!.maximumBackoff)) * 1000);
  });

  it('interaction-worker: the give-up rule knows the subscription attempt limit', () => {
    const w = get('interaction-worker');
    expect(Number(w.push!.maxDeliveryAttempts)).toBeGreaterThanOrEqual(5);
    expect(w.env['PUBSUB_MAX_DELIVERY_ATTEMPTS']).toBe(String(w.push!.maxDeliveryAttempts));
  });

  it(
    'reconcile: invoked only by the scheduler and its own push; trusts stripped tokens because Cloud Run checks ' +
      'first; its audience is what its callers put in their tokens',
    () => {
      const r = get('reconcile');
      expect(r.invokers.some((m) => m === 'allUsers')).toBe(false);
      expect(r.env['OIDC_PLATFORM_VERIFIED']).toBe('true');
      expect(r.push?.name).toBe('reconcile-slices-push');
      expect(r.push?.oidcAccount.join(' ')).toContain('module.function["reconcile"]');
      expect(r.push?.deadLetterTopic.join(' ')).toContain('google_pubsub_topic.dead_letter');
      const scheduler = instances('google_cloud_scheduler_job').find((j) => j.block.name !== 'call_log_sweep')!;
      expect(
        refNames(scheduler.attr('http_target', '0', 'oidc_token', '0', 'audience')).join(' ') ||
          String(scheduler.attr('http_target', '0', 'oidc_token', '0', 'audience')),
      ).toContain('target_url');
    },
  );

  it(
    'call-log: public for Twilio, yet its push comes from its own account (the only one CALL_LOG_PUSH_INVOKERS ' +
      'names) with a dead-letter policy, and it trusts no stripped token; Datastore User only',
    () => {
      const c = get('call-log');
      expect(c.invokers).toEqual(['allUsers']);
      expect(c.env['OIDC_PLATFORM_VERIFIED']).toBeUndefined();
      expect(c.push?.name).toBe('call-log-push');
      expect(c.push?.endpoint.join(' ')).toContain('module.function["call-log"]');
      expect(c.push?.oidcAccount.join(' ')).toContain('module.function["call-log"]');
      expect(c.push?.deadLetterTopic.join(' ')).toContain('google_pubsub_topic.dead_letter');
      expect(String(c.env['CALL_LOG_PUSH_INVOKERS'])).toMatch(/^fn-call-log@/);
      expect(String(c.env['CALL_LOG_SWEEP_INVOKERS'])).toMatch(/^call-log-sweep@/);
      // Its field map is checked against the CRM the crm function writes: the example deploys the mock.
      expect(c.env['CALL_LOG_CRM']).toBe('mock');
      expect(c.secrets).toContain('TWILIO_AUTH_TOKEN');
      expect(c.projectRoles.map((r) => String(r.role))).toEqual(['roles/datastore.user']);
      const sweep = instances('google_cloud_scheduler_job').find((j) => j.block.name === 'call_log_sweep')!;
      expect(refNames(sweep.attr('http_target', '0', 'oidc_token', '0', 'service_account_email'))).toContain('google_service_account.call_log_sweep.email');
    },
  );

  it('public functions (allUsers) never trust a stripped token and have no push subscription', () => {
    for (const name of ['crm', 'ui-connector', 'zoom-webhook']) {
      const e = get(name);
      expect(e.invokers).toEqual(['allUsers']);
      expect(e.env['OIDC_PLATFORM_VERIFIED']).toBeUndefined();
      expect(e.push).toBeUndefined();
    }
  });

  it('Firestore roles are conditioned on the ccbridge database (the narrowest grant Firestore IAM offers)', () => {
    for (const e of rendered.values()) {
      for (const g of e.projectRoles.filter((x) => String(x.role).startsWith('roles/datastore.'))) {
        expect(String(g.condition)).toMatch(
          /^resource\.name == "projects\/.*\/databases\/.*" \|\| resource\.name\.startsWith\("projects\/.*\/databases\/.*\/"\)$/,
        );
      }
    }
    expect(get('zoom-webhook').projectRoles.map((g) => g.role)).toEqual(['roles/datastore.user']);
  });

  it('secrets are mounted as secret env vars, never plain env (every function)', () => {
    for (const e of rendered.values()) {
      for (const key of e.secrets) expect(Object.keys(e.env)).not.toContain(key);
    }
    expect(get('interaction-worker').secrets).toEqual(expect.arrayContaining(['ZOOM_CLIENT_SECRET', 'ARTIFACT_LINK_SECRET']));
  });

  it('request logs carrying link tokens or phone numbers in URLs are excluded', () => {
    const exclusions = instances('google_logging_project_exclusion');
    const filters = exclusions.map((x) => String(x.attr('filter')));
    expect(filters.some((f) => f.includes('zoom-webhook') && f.includes('[?&]t='))).toBe(true);
    expect(filters.some((f) => f.includes('conversationIntegrationKey') && f.includes('phone'))).toBe(true);
  });

  it('the bootstrap (terraform/README.md step 1) enables every API the apply uses, so no service agent is created during the first apply', () => {
    const readme = readFileSync(join(repo, 'terraform', 'README.md'), 'utf8');
    const block = /gcloud services enable ((?:[^\n\\]|\\\n)*)/.exec(readme)?.[1] ?? '';
    const enabled = new Set(block.split(/[\s\\]+/).filter((w) => w.endsWith('.googleapis.com')));
    const apis = instances('google_project_service').map((r) => String(r.attr('service')));
    expect(apis.length).toBeGreaterThan(10);
    expect(apis.filter((a) => !enabled.has(a))).toEqual([]);
  });

  it('the conversation profile publishes suggestions, lifecycle events and new messages to the topics the UI consumer reads (agent_assist_ui.tf)', () => {
    const profile = instances('google_dialogflow_conversation_profile')[0]!;
    const topic = (...path: string[]) => refNames(profile.attr(...path)).join(' ');
    expect(topic('human_agent_assistant_config', '0', 'notification_config', '0', 'topic')).toContain(
      'google_pubsub_topic.agent_assist_notifications["human-agent-assistant-event"]',
    );
    expect(topic('notification_config', '0', 'topic')).toContain('google_pubsub_topic.agent_assist_notifications["conversation-lifecycle-event"]');
    expect(topic('new_message_event_notification_config', '0', 'topic')).toContain('google_pubsub_topic.agent_assist_notifications["new-message-event"]');
  });

  it('no Eventarc: no trigger, no Eventarc API, no post-apply subscription patching', () => {
    expect(ev.resourceInstances('resource', (t) => t === 'google_eventarc_trigger')).toEqual([]);
    const apis = instances('google_project_service').map((s) => s.attr('service'));
    expect(apis).not.toContain('eventarc.googleapis.com');
  });
});
