/**
 * `npm start` with exported settings: a team tries its own CRM sandbox from the local stack
 * (`CRM_MODE=real CRM_ADAPTER=salesforce SALESFORCE_LOGIN_URL=… npm start`). The settings reach
 * the crm function, are validated as in production (every problem listed at once), and the
 * interaction worker keeps the local crm function as its CRM.
 */
import { ConfigError } from '../../shared/config';
import { documentedSettings, exportedSettings, settingsFor } from '../../local/env';
import { type SalesforceFake, startSalesforceFake } from '../../local/mocks/crm-fakes/salesforce';
import { type Stack, startStack } from '../../local/stack';

const CLIENT_ID = '3MVG9-local-sandbox';
const CLIENT_SECRET = 'sf-sandbox-secret-0123456789';

const functionEnv = (exported: Record<string, string | undefined>) => (name: string, env: Record<string, string | undefined>) =>
  settingsFor(name, env, exported, { CRM_MODE: 'mock', CRM_ADAPTER: 'contract', CRM_BASE_URL: `${env['PUBLIC_BASE_URL']}/crm`, CRM_CLIENT_AUTH: 'basic' });

describe('npm start takes function settings from the environment', () => {
  it('picks the documented settings a person exported, never the ones the stack owns', () => {
    const documented = documentedSettings();
    expect(documented.has('SALESFORCE_LOGIN_URL')).toBe(true);
    expect(documented.has('CRM_AMBIGUOUS_RULE')).toBe(true);
    const exported = exportedSettings(
      { CRM_MODE: 'real', SALESFORCE_CLIENT_ID: 'x', HOME: '/root', FIRESTORE_EMULATOR_HOST: 'elsewhere:1', PATH: '/bin' },
      documented,
    );
    expect(exported).toEqual({ CRM_MODE: 'real', SALESFORCE_CLIENT_ID: 'x' });
    const worker = settingsFor(
      'interaction-worker',
      { CRM_MODE: 'real', CRM_ADAPTER: 'salesforce', X: '1' },
      { CRM_MODE: 'real', CRM_ADAPTER: 'salesforce' },
      { CRM_MODE: 'mock', CRM_ADAPTER: 'contract' },
    );
    expect(worker).toMatchObject({ CRM_MODE: 'mock', CRM_ADAPTER: 'contract', X: '1' });
  });

  it('gives call-log the exported real CRM as the one its field map is checked against, unless CALL_LOG_CRM is exported', () => {
    const defaults = { CRM_MODE: 'mock', CRM_ADAPTER: 'contract' };
    const env = { CRM_MODE: 'real', CRM_ADAPTER: 'salesforce', CALL_LOG_CRM: 'mock' };
    expect(settingsFor('call-log', env, { CRM_MODE: 'real', CRM_ADAPTER: 'salesforce' }, defaults)).toMatchObject({
      CRM_ADAPTER: 'contract',
      CALL_LOG_CRM: 'salesforce',
    });
    expect(
      settingsFor('call-log', { ...env, CALL_LOG_CRM: 'zendesk' }, { CRM_MODE: 'real', CRM_ADAPTER: 'salesforce', CALL_LOG_CRM: 'zendesk' }, defaults),
    ).toMatchObject({ CALL_LOG_CRM: 'zendesk' });
    expect(settingsFor('call-log', { CALL_LOG_CRM: 'mock' }, {}, defaults)).toMatchObject({ CALL_LOG_CRM: 'mock' });
  });

  describe('with a Salesforce sandbox exported', () => {
    let fake: SalesforceFake;
    let stack: Stack | undefined;
    beforeAll(async () => {
      fake = await startSalesforceFake({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    });
    afterAll(async () => {
      await stack?.stop();
      await fake.stop();
    });

    it('lists every missing or invalid setting of the chosen adapter, per function, before serving anything', async () => {
      const exported = exportedSettings({ CRM_MODE: 'real', CRM_ADAPTER: 'salesforce', SALESFORCE_LOGIN_URL: 'not a url', CRM_AMBIGUOUS_RULE: 'newest' });
      const err = await startStack({ functions: ['crm'], envOverrides: exported, functionEnv: functionEnv(exported) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toMatch(/crm: SALESFORCE_LOGIN_URL/);
      expect(problems).toMatch(/crm: CRM_AMBIGUOUS_RULE/);
    }, 60_000);

    it('serves the crm function in real mode against the sandbox, the worker still on the contract', async () => {
      const exported = exportedSettings({
        CRM_MODE: 'real',
        CRM_ADAPTER: 'salesforce',
        SALESFORCE_LOGIN_URL: fake.baseUrl,
        SALESFORCE_CLIENT_ID: CLIENT_ID,
        SALESFORCE_CLIENT_SECRET: CLIENT_SECRET,
      });
      stack = await startStack({ functions: ['crm', 'interaction-worker'], envOverrides: exported, functionEnv: functionEnv(exported) });
      const contact = fake.seed('Contact', { LastName: 'Hopper', Phone: '+14155550142' });
      const auth = `Basic ${Buffer.from(`${stack.credentials.crmBasicUser}:${stack.credentials.crmBasicPassword}`).toString('base64')}`;
      const res = await fetch(`${stack.functions['crm']}/accounts/search`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ phone: '+14155550142' }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ found: true, data: { id: contact, type: 'Contact' } });
      expect(fake.tokensIssued).toBe(1);
    }, 60_000);
  });
});
