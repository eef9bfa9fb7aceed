/**
 * The contract's documents cannot drift from the code: every route the crm function serves
 * is in openapi.yaml and nothing else is, and every operation of the ready-to-paste CCAI
 * Platform configuration is a documented route.
 */
import { readFileSync } from 'node:fs';
import { composeCrm } from '../../functions/crm/compose';
import { ccaipConfig } from '../support/crm-sequence';
import { crmEnv } from '../support/crm-harness';

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

/**
 * What the function itself serves, asked of the app the composition root builds: mock mode (the
 * contract and the admin routes) and real mode with Be Aware 360 (its link routes).
 */
function servedOperations(): string[] {
  const ba360 = {
    CRM_MODE: 'real',
    CRM_ADMIN_TOKEN: undefined,
    CRM_ADAPTER: 'ba360',
    BA360_API_URL: 'https://ba360.example.test',
    BA360_INSTANCE_URL: 'https://ba360.example.test',
    BA360_USER: 'user',
    BA360_PASSWORD: 'password-0123456789',
    BA360_COMPANY: 'company',
    BA360_SECRET_KEY: 'secret-key-0123456789',
    BA360_CLIENT_KEY: 'client-key-0123456789',
    BA360_LINK_SECRET: 'link-secret-0123456789abcdef',
    CRM_PUBLIC_URL: 'https://crm.example.test/crm',
  };
  const routes = [...composeCrm(crmEnv()).routes, ...composeCrm(crmEnv(ba360)).routes];
  // Routes that only exist to explain an id missing from the path are not operations.
  const explanatory = new Set(['POST /records/comments', 'POST /records/attachments', 'PATCH /records', 'PUT /records', 'PATCH /accounts', 'PUT /accounts']);
  const operations = new Set(routes.map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`).filter((op) => !explanatory.has(op)));
  return [...operations].sort();
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
    expect(ccaipConfig.operations.map((o) => o.operation)).toEqual([
      'findAccount',
      'createAccount',
      'updateAccount',
      'findRecord',
      'createRecord',
      'addComment',
      'addAttachment',
      'wrapUp',
    ]);
  });
});
