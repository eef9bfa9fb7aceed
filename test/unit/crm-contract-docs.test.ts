/**
 * The contract's documents cannot drift from the code: every route the crm function serves
 * is in openapi.yaml and nothing else is, and every operation of the ready-to-paste CCAI
 * Platform configuration is a documented route.
 */
import { createVisitLimiter } from '../../functions/crm/ba360-limits';
import { readFileSync } from 'node:fs';
import { createMemoryDocStore } from '../support/doubles/memory-docstore';
import { Secret } from '../../shared/config';
import { createBa360 } from '../../shared/crm/adapters/ba360';
import { createMemoryCrm } from '../support/doubles/memory-crm';
import { createAuthenticator } from '../../functions/crm/auth';
import { ba360Routes } from '../../functions/crm/ba360-routes';
import { adminRoutes } from '../../functions/crm/mock/admin';
import { createRefusedTally } from '../../functions/crm/mock/journal';
import { createFaultBook } from '../../functions/crm/mock/faults';
import { contractRoutes } from '../../functions/crm/routes';
import { ccaipConfig } from '../support/crm-sequence';

function documentedOperations(): string[] {
  const yaml = readFileSync(new URL('../../functions/crm/openapi.yaml', import.meta.url), 'utf8');
  const paths = yaml.slice(yaml.indexOf('\npaths:'), yaml.indexOf('\ncomponents:'));
  const ops: string[] = [];
  let current = '';
  for (const line of paths.split('\n')) {
    const path = /^ {2}(\/\S*):\s*$/.exec(line);
    if (path) current = path[1]!;
    const method = /^ {4}(get|post|put|patch|delete):\s*$/.exec(line);
    if (method) ops.push(`${method[1]!.toUpperCase()} ${current}`);
  }
  return ops.sort();
}

function servedOperations(): string[] {
  const store = createMemoryDocStore();
  const auth = createAuthenticator({ methods: ['basic'], basic: { user: 'u', password: new Secret('password1') } });
  const secret = new Secret('x'.repeat(16));
  const ba360 = createBa360({
    apiUrl: 'http://127.0.0.1:9',
    instanceUrl: 'http://127.0.0.1:9',
    user: 'u',
    password: secret,
    company: 'c',
    secretKey: secret,
    clientKey: secret,
    platform: 'ccaip',
    channelMap: { voice: 'Voz', chat: 'Chat', sms: 'SMS', email: 'Email', messaging: 'Whatsapp', video: 'Voz', other: 'Chat' },
    linkSecret: secret,
    publicUrl: undefined,
    timeoutMs: 1000,
    retryLimit: 0,
  });
  const contract = contractRoutes({ crm: createMemoryCrm(), buckets: new Map(), maxAttachmentBytes: 1 }, { phone: {}, maxJsonBytes: 1 });
  // Routes that only exist to explain an id missing from the path are not operations.
  const explanatory = new Set(['POST /records/comments', 'POST /records/attachments', 'PATCH /records', 'PUT /records', 'PATCH /accounts', 'PUT /accounts']);
  const routes = [
    { method: 'POST', path: '/oauth/token' },
    ...contract.filter((r) => !explanatory.has(`${r.method} ${r.path}`)),
    ...adminRoutes({ store, faults: createFaultBook(store), refused: createRefusedTally(), adminToken: secret }),
    ...ba360Routes(ba360, auth, createVisitLimiter(30, Date.now)),
  ];
  return routes.map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`).sort();
}

describe('crm contract documents', () => {
  it('openapi.yaml documents exactly the routes the function serves', () => {
    expect(documentedOperations()).toEqual(servedOperations());
  });

  it('every operation of ccaip-config.json is a documented route, with ids at data.id', () => {
    const documented = new Set(documentedOperations());
    for (const op of ccaipConfig.operations) {
      const path = op.path.split('?')[0]!.replace(/\{(RECORD|ACCOUNT)_ID\}/g, '{id}');
      expect({ op: op.operation, documented: documented.has(`${op.method} ${path}`) }).toEqual({ op: op.operation, documented: true });
      expect(op.custom_id_location).toBe('data.id');
    }
    expect(ccaipConfig.operations.map((o) => o.operation)).toEqual(['findAccount', 'createAccount', 'updateAccount', 'findRecord', 'createRecord', 'addComment', 'addAttachment', 'wrapUp']);
  });
});
