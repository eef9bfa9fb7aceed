/**
 * `npm run chaos -- --crm servicenow|salesforce|zendesk`: the crm function in real mode in
 * front of that CRM's local fake, with the faults injected in the fake (500s, 429s with
 * Retry-After, answers lost after the write was applied), and the CRM's state read back from
 * the fake's own tables in the shape the checks use (records by session, comments and links by
 * the marker the adapters write for each idempotency key).
 */
import type { Env } from '../../shared/config';
import { refMarker } from '../../shared/crm/adapters/upstream';
import { seededRandom } from '../../local/mocks/zoom/model';
import { type SalesforceFake, startSalesforceFake } from '../../local/mocks/crm-fakes/salesforce';
import { type ServiceNowFake, startServiceNowFake } from '../../local/mocks/crm-fakes/servicenow';
import { startZendeskFake, type ZendeskFake } from '../../local/mocks/crm-fakes/zendesk';
import type { CrmAttachmentDoc, CrmCommentDoc, CrmRecordDoc } from '../demo/pipeline-state';
import type { Expectation } from './checks';
import { expectedCrmKey } from './layout';

export const CHAOS_CRMS = ['servicenow', 'salesforce', 'zendesk'] as const;
export type ChaosCrmKind = (typeof CHAOS_CRMS)[number];

export interface ChaosCrmState {
  records: CrmRecordDoc[];
  comments: CrmCommentDoc[];
  attachments: CrmAttachmentDoc[];
}

export interface ChaosCrm {
  kind: ChaosCrmKind;
  /** Settings of the crm function in real mode against the fake. */
  env: Env;
  arm(rates: { s500: number; s429: number; lost: number }, seed: string): void;
  /** Stops injecting; what was injected. */
  lift(): { crm500: number; crm429: number; crmLost: number };
  read(x: Expectation): ChaosCrmState;
  stop(): Promise<void>;
}

const ZD_DISPOSITION_FIELD = 9001;
/** "Attachment <file>: <url>" — how a link is written as a note (ServiceNow, Zendesk). */
const LINK_NOTE = /^Attachment (\S+): (\S+)$/;

/** Splits what an adapter wrote into the text, the marker's key and the author line. */
function parseBody(body: string, keys: Map<string, string>): { text: string; key: string | undefined } {
  const m = /\n\n(\[ccbridge ref:[0-9a-f]{16}\])$/.exec(body);
  const marker = m?.[1];
  let text = m ? body.slice(0, m.index) : body;
  text = text.replace(/\n— [^\n]*$/, '');
  return { text, key: marker ? keys.get(marker) : undefined };
}

export async function startChaosCrm(kind: ChaosCrmKind): Promise<ChaosCrm> {
  const keysOf = (x: Expectation) => {
    const keys = new Map<string, string>();
    for (const k of [...x.items.map((i) => expectedCrmKey(i.engagementId, i.key)), ...x.artifacts.map((a) => expectedCrmKey(a.engagementId, a.key))])
      keys.set(refMarker(k), k);
    return keys;
  };
  const common = (
    fake: {
      failures: { randomly: (o: Parameters<ServiceNowFake['failures']['randomly']>[0]) => void; injected: { s500: number; s429: number; lost: number } };
    },
    match: RegExp,
  ) => ({
    arm(rates: { s500: number; s429: number; lost: number }, seed: string) {
      fake.failures.randomly({ ...rates, random: seededRandom(`chaos-crm:${seed}`), match });
    },
    lift() {
      const injected = { crm500: fake.failures.injected.s500, crm429: fake.failures.injected.s429, crmLost: fake.failures.injected.lost };
      fake.failures.randomly({ s500: 0, s429: 0, lost: 0, random: () => 1 });
      return injected;
    },
  });

  if (kind === 'servicenow') {
    const fake: ServiceNowFake = await startServiceNowFake({ user: 'ccbridge.chaos', password: 'sn-chaos-password' });
    return {
      kind,
      env: { CRM_ADAPTER: 'servicenow', SERVICENOW_INSTANCE_URL: fake.baseUrl, SERVICENOW_USER: 'ccbridge.chaos', SERVICENOW_PASSWORD: 'sn-chaos-password' },
      ...common(fake, /^(GET|POST|PATCH|PUT) \/api\/now\//),
      read(x) {
        const keys = keysOf(x);
        const records = fake.rows('incident').map((r) => ({ id: r['sys_id']!, sessionId: r['correlation_id'] ?? '', disposition: r['close_code'] || null }));
        const comments: CrmCommentDoc[] = [];
        const attachments: CrmAttachmentDoc[] = [];
        for (const j of fake.rows('sys_journal_field')) {
          const { text, key } = parseBody(j['value'] ?? '', keys);
          const link = LINK_NOTE.exec(text);
          if (link && key && x.artifacts.some((a) => expectedCrmKey(a.engagementId, a.key) === key)) {
            attachments.push({ id: j['sys_id']!, recordId: j['element_id']!, fileName: link[1]!, url: link[2]!, idempotencyKey: key });
          } else
            comments.push({
              id: j['sys_id']!,
              recordId: j['element_id']!,
              body: text,
              idempotencyKey: key ?? null,
              createdAt: new Date(`${j['sys_created_on']!.replace(' ', 'T')}Z`),
            });
        }
        return { records, comments, attachments };
      },
      stop: () => fake.stop(),
    };
  }

  if (kind === 'salesforce') {
    const fake: SalesforceFake = await startSalesforceFake({ clientId: '3MVG9-chaos', clientSecret: 'sf-chaos-secret-0123456789' });
    return {
      kind,
      env: {
        CRM_ADAPTER: 'salesforce',
        SALESFORCE_LOGIN_URL: fake.baseUrl,
        SALESFORCE_CLIENT_ID: '3MVG9-chaos',
        SALESFORCE_CLIENT_SECRET: 'sf-chaos-secret-0123456789',
      },
      ...common(fake, /^(GET|POST|PATCH) \/services\/data\//),
      read(x) {
        const keys = keysOf(x);
        // A Case's session is the CallObject of its call-log Task; a Case no Task names has none.
        const taskOf = new Map(
          fake
            .records('Task')
            .filter((t) => typeof t['WhatId'] === 'string' && t['CallObject'])
            .map((t) => [String(t['WhatId']), t]),
        );
        const records = fake.records('Case').map((c) => ({
          id: c.Id,
          sessionId: String(taskOf.get(c.Id)?.['CallObject'] ?? ''),
          disposition: (taskOf.get(c.Id)?.['CallDisposition'] as string | undefined) ?? null,
        }));
        const comments = fake.records('CaseComment').map((c) => {
          const { text, key } = parseBody(String(c['CommentBody'] ?? ''), keys);
          return { id: c.Id, recordId: String(c['ParentId']), body: text, idempotencyKey: key ?? null, createdAt: new Date(String(c['CreatedDate'])) };
        });
        const attachments = fake.records('ContentVersion').map((v) => ({
          id: v.Id,
          recordId: String(v['FirstPublishLocationId']),
          fileName: String(v['Title']),
          url: (v['ContentUrl'] as string | undefined) ?? null,
          idempotencyKey: keys.get(String(v['Description'] ?? '')) ?? null,
        }));
        return { records, comments, attachments };
      },
      stop: () => fake.stop(),
    };
  }

  const fake: ZendeskFake = await startZendeskFake({ email: 'chaos@example.com', apiToken: 'zd-chaos-token-0123456789abcdef' });
  return {
    kind,
    env: {
      CRM_ADAPTER: 'zendesk',
      ZENDESK_BASE_URL: fake.baseUrl,
      ZENDESK_EMAIL: 'chaos@example.com',
      ZENDESK_API_TOKEN: 'zd-chaos-token-0123456789abcdef',
      ZENDESK_DISPOSITION_FIELD_ID: String(ZD_DISPOSITION_FIELD),
    },
    ...common(fake, /^(GET|POST|PUT) \/api\/v2\//),
    read(x) {
      const keys = keysOf(x);
      const records: CrmRecordDoc[] = [];
      const comments: CrmCommentDoc[] = [];
      const attachments: CrmAttachmentDoc[] = [];
      for (const t of fake.tickets.values()) {
        const disposition = t.custom_fields.find((f) => f.id === ZD_DISPOSITION_FIELD)?.value;
        records.push({ id: String(t.id), sessionId: t.external_id ?? '', disposition: typeof disposition === 'string' ? disposition : null });
        // The first comment is the ticket's description; wrap-up notes are the disposition's.
        for (const c of t.comments.slice(1)) {
          if (c.body.startsWith('Wrap-up\n')) continue;
          const { text, key } = parseBody(c.body, keys);
          const link = LINK_NOTE.exec(text);
          if (link && key && x.artifacts.some((a) => expectedCrmKey(a.engagementId, a.key) === key))
            attachments.push({ id: String(c.id), recordId: String(t.id), fileName: link[1]!, url: link[2]!, idempotencyKey: key });
          else comments.push({ id: String(c.id), recordId: String(t.id), body: text, idempotencyKey: key ?? null });
        }
      }
      return { records, comments, attachments };
    },
    stop: () => fake.stop(),
  };
}
