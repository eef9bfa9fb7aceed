// terraform/operator.tf rendered offline (lib/evaluate.ts over the example tfvars, plus the
// operators' group and, in a second rendering, IAP): only the configured group may invoke the
// operator (never allUsers); its service account may only read; the dead-letter topic of the
// worker's subscription is pushed with an OIDC token to the worker's recorder; IAP, when
// enabled, admits the group, lets IAP's agent invoke the service and makes the function check
// IAP's signed header — and is refused without the audience that check needs.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@cdktf/hcl2json';
import { checkValidations } from './lib/function-settings';
import { Evaluator, isObjectValue, refString, refsOf, type Value } from './lib/evaluate';
import { type Json, loadConfiguration } from './lib/hcl';

const repo = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const GROUP = 'ccbridge-operators@example.com';
const AUDIENCE = '/projects/123456/locations/europe-west1/services/operator';

let example: Record<string, Json>;
let config: Awaited<ReturnType<typeof loadConfiguration>>;
beforeAll(async () => {
  example = (await parse('terraform.tfvars.example', readFileSync(join(repo, 'terraform', 'terraform.tfvars.example'), 'utf8'))) as Record<string, Json>;
  config = await loadConfiguration(join(repo, 'terraform'));
});

const render = (vars: Record<string, Json>) => {
  const ev = new Evaluator(config, { rootVariables: { ...example, ...vars } });
  const instances = (type: string) =>
    ev
      .resourceInstances('resource', (t) => t === type)
      .map((r) => ({ ...r, attr: (...path: string[]) => ev.attribute(r.instance, r.block, r.key, r.each, path) }));
  return { ev, instances };
};
const refNames = (v: Value): string[] => refsOf(v).map(refString);
const isOperator = (v: Value) => v === 'operator' || refNames(v).some((r) => r.includes('module.function["operator"]'));

function operatorGrants(r: ReturnType<typeof render>) {
  const fn = r.instances('google_cloudfunctions2_function').find((f) => f.attr('name') === 'operator')!;
  const same = <T extends { instance: unknown }>(xs: T[]) => xs.filter((x) => x.instance === fn.instance);
  return {
    fn,
    env: fn.attr('service_config', '0', 'environment_variables'),
    projectRoles: same(r.instances('google_project_iam_member')).map((g) => String(g.attr('role'))),
    bucketRoles: same(r.instances('google_storage_bucket_iam_member')).map((g) => String(g.attr('role'))),
    topicRoles: same(r.instances('google_pubsub_topic_iam_member')).map((g) => String(g.attr('role'))),
    signBlob: same(r.instances('google_service_account_iam_member')).map((g) => String(g.attr('role'))),
    secretRoles: same(r.instances('google_secret_manager_secret_iam_member')).map((g) => String(g.attr('role'))),
    invokers: r
      .instances('google_cloud_run_service_iam_member')
      .filter((g) => g.attr('role') === 'roles/run.invoker' && isOperator(g.attr('service')))
      .map((g) => {
        const m = g.attr('member');
        return typeof m === 'string'
          ? m
          : refNames(m)
              .filter((x) => !x.includes('_iam_member.'))
              .join(' ');
      }),
  };
}

describe('terraform/operator.tf, rendered', () => {
  it('only the configured group may invoke the operator: no allUsers, and nobody at all without a group', () => {
    const withGroup = operatorGrants(render({ operator_invoker_group: GROUP }));
    expect(withGroup.invokers).toEqual([`group:${GROUP}`]);
    const without = operatorGrants(render({ operator_invoker_group: null }));
    expect(without.invokers).toEqual([]);
    for (const r of [
      render({ operator_invoker_group: GROUP }),
      render({ operator_invoker_group: GROUP, operator_iap_enabled: true, operator_iap_audience: AUDIENCE }),
    ]) {
      const members = r
        .instances('google_cloud_run_service_iam_member')
        .filter((g) => isOperator(g.attr('service')))
        .map((g) => String(g.attr('member')));
      expect(members).not.toContain('allUsers');
      expect(members).not.toContain('allAuthenticatedUsers');
    }
  });

  it("the operator's own account may only read: Firestore viewer, archive object viewer, its two secrets; no publisher, no URL signing", () => {
    const g = operatorGrants(render({ operator_invoker_group: GROUP }));
    expect(g.projectRoles).toEqual(['roles/datastore.viewer']);
    expect(g.bucketRoles).toEqual(['roles/storage.objectViewer']);
    expect(g.topicRoles).toEqual([]);
    expect(g.signBlob).toEqual([]);
    expect(g.secretRoles).toEqual(['roles/secretmanager.secretAccessor', 'roles/secretmanager.secretAccessor']);
    for (const role of [...g.projectRoles, ...g.bucketRoles]) expect(role).toMatch(/viewer$|Viewer$/);
  });

  it(
    "the worker's dead-letter topic is pushed, with an OIDC token of the worker's only invoker for the worker's URL, " +
      'to its /dead-letters recorder (terraform/delivery.json)',
    () => {
      const r = render({ operator_invoker_group: GROUP });
      const delivery = JSON.parse(readFileSync(join(repo, 'terraform', 'delivery.json'), 'utf8')) as {
        deadLetterRecording: { subscription: string; path: string; ackDeadlineSeconds: number };
      };
      const sub = r.instances('google_pubsub_subscription').find((s) => s.block.name === 'dead_letter_record');
      expect(sub).toBeDefined();
      expect(sub!.attr('name')).toBe(delivery.deadLetterRecording.subscription);
      // The dead-letter topic of zoom-events (the worker's subscription's dead_letter_policy topic).
      expect(refNames(sub!.attr('topic')).join(' ')).toContain('module.pubsub.google_pubsub_topic.dead_letter["zoom-events"]');
      const endpoint = sub!.attr('push_config', '0', 'push_endpoint');
      expect(refNames(endpoint).join(' ')).toContain('module.function["interaction-worker"]');
      // The URL is unknown until apply; its path is delivery.json's, the worker's recorder route.
      expect(JSON.stringify(sub!.block.body['push_config'])).toContain('local.delivery.deadLetterRecording.path');
      expect(delivery.deadLetterRecording.path).toBe('/dead-letters');
      expect(refNames(sub!.attr('push_config', '0', 'oidc_token', '0', 'service_account_email'))).toContain('google_service_account.pubsub_push.email');
      expect(refNames(sub!.attr('push_config', '0', 'oidc_token', '0', 'audience')).join(' ')).toContain('module.function["interaction-worker"]');
      expect(sub!.attr('ack_deadline_seconds')).toBe(delivery.deadLetterRecording.ackDeadlineSeconds);
      // A dead-letter topic's recorder has no dead-letter policy of its own.
      expect(sub!.block.body['dead_letter_policy']).toBeUndefined();
      // The account it signs with is the one the worker admits (and only that one).
      const workerInvokers = r
        .instances('google_cloud_run_service_iam_member')
        .filter(
          (g) =>
            g.attr('role') === 'roles/run.invoker' &&
            (g.attr('service') === 'interaction-worker' || refNames(g.attr('service')).some((x) => x.includes('module.function["interaction-worker"]'))),
        )
        .flatMap((g) => refNames(g.attr('member')).filter((x) => !x.includes('_iam_member.')));
      expect(workerInvokers).toEqual(['google_service_account.pubsub_push.member']);
    },
  );

  it('IAP off by default: no IAP grant, no IAP API, the function checks no IAP header', () => {
    const r = render({ operator_invoker_group: GROUP });
    expect(r.instances('google_iap_web_cloud_run_service_iam_member')).toEqual([]);
    expect(r.instances('google_project_service').map((s) => s.attr('service'))).not.toContain('iap.googleapis.com');
    const env = operatorGrants(r).env;
    expect(isObjectValue(env) ? env['OPERATOR_REQUIRE_IAP'] : 'not an object').toBeUndefined();
  });

  it(
    "IAP on: the group is the IAP-secured Web App User, IAP's agent may invoke, " +
      'the function checks the signed header for the configured audience, and the switch is handed to an output',
    () => {
      const r = render({ operator_invoker_group: GROUP, operator_iap_enabled: true, operator_iap_audience: AUDIENCE });
      const accessors = r.instances('google_iap_web_cloud_run_service_iam_member');
      expect(accessors.map((a) => [a.attr('role'), a.attr('member')])).toEqual([['roles/iap.httpsResourceAccessor', `group:${GROUP}`]]);
      expect(isOperator(accessors[0]!.attr('cloud_run_service_name'))).toBe(true);
      const g = operatorGrants(r);
      expect(g.invokers).toHaveLength(2);
      expect(g.invokers).toContain(`group:${GROUP}`);
      expect(g.invokers.find((m) => m !== `group:${GROUP}`)).toMatch(/gcp-sa-iap\.iam\.gserviceaccount\.com|data\.google_project\.this\.number/);
      expect(isObjectValue(g.env) ? [g.env['OPERATOR_REQUIRE_IAP'], g.env['OPERATOR_IAP_AUDIENCE']] : []).toEqual(['true', AUDIENCE]);
      expect(r.instances('google_project_service').map((s) => s.attr('service'))).toContain('iap.googleapis.com');
      expect(checkValidations(r.ev)).toEqual([]);
    },
  );

  it('IAP on without the audience the signed-header check needs (or without a group) is refused by the variable validation', () => {
    for (const vars of [
      { operator_invoker_group: GROUP, operator_iap_enabled: true },
      { operator_iap_enabled: true, operator_iap_audience: AUDIENCE },
    ] as Array<Record<string, Json>>) {
      expect(checkValidations(render(vars).ev).map((f) => f.where)).toContain('var.operator_iap_enabled');
    }
  });
});
