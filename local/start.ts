/**
 * `npm start`: the whole bundle on this machine, offline. Prints every URL and local
 * credential, writes them to .ccbridge/local.json for scripts, then "ready".
 * Ctrl-C (or SIGTERM) stops every server; nothing runs outside this process.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../shared/config';
import { exportedSettings, LOCAL_SDK_AUDIENCE, settingsFor } from './env';
import { repoRoot } from './manifest';
import { startOperatorProxy } from './operator-proxy';
import { type Stack, startStack } from './stack';

const port = Number(process.env['PORT'] ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got ${process.env['PORT']}`);
  process.exit(2);
}

// Settings exported in the shell (e.g. CRM_MODE=real CRM_ADAPTER=salesforce SALESFORCE_LOGIN_URL=…)
// replace the local defaults, validated by each function exactly as in production.
const exported = exportedSettings(process.env);
let stack: Stack;
try {
  stack = await startStack({
    port,
    servicePorts: port === 0 ? 'free' : 'next',
    envOverrides: exported,
    functionEnv: (name, env) =>
      settingsFor(name, env, exported, {
        CRM_MODE: 'mock',
        CRM_ADAPTER: 'contract',
        CRM_BASE_URL: env['PUBLIC_BASE_URL'] ? `${env['PUBLIC_BASE_URL']}/crm` : undefined,
        CRM_CLIENT_AUTH: 'basic',
      }),
  });
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n\nFix the exported settings above (see .env.example) and start again.\n`);
  process.exit(2);
}
if (Object.keys(exported).length > 0) process.stderr.write(`Settings taken from the environment: ${Object.keys(exported).sort().join(', ')}\n`);
// The operator function is private (IAM); this proxy signs the browser in as the local operator (see local/operator-proxy.ts).
const operatorUrl = stack.functions['operator'];
const operatorProxy = operatorUrl
  ? await startOperatorProxy({ functionUrl: operatorUrl, mint: (audience, email) => stack.oidc.mint(audience, email) })
  : undefined;

const summary = { functions: stack.functions, credentials: stack.credentials, emulators: stack.emulators };
// CCBRIDGE_STATE_DIR lets tests run a second stack without touching a developer's file.
const dir = process.env['CCBRIDGE_STATE_DIR'] ?? join(repoRoot, '.ccbridge');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'local.json'), `${JSON.stringify(summary, null, 2)}\n`, { mode: 0o600 });

const lines = [
  'ccbridge local stack',
  '',
  'Functions:',
  ...Object.entries(stack.functions).map(([name, url]) => `  ${name.padEnd(20)} ${url}`),
  '',
  'Local services (use these environment variables with the Google client libraries):',
  `  FIRESTORE_EMULATOR_HOST=${stack.emulators.firestore}`,
  `  PUBSUB_EMULATOR_HOST=${stack.emulators.pubsub}`,
  `  STORAGE_EMULATOR_HOST=${stack.emulators.storage}`,
  `  Zoom API mock       ${stack.emulators.zoom}`,
  `  Twilio API mock     ${stack.emulators.twilio}`,
  `  Dialogflow mock     ${stack.emulators.dialogflow}`,
  `  Salesforce identity ${stack.emulators.salesforce}`,
  '',
  ...ccaipSdkDemoLines(),
  ...(operatorProxy
    ? [
        "Operator page (read-only; a local proxy signs you in as the operators' group member, like gcloud run services proxy):",
        `  ${operatorProxy.url}page`,
        '  the same from a shell: npm run trace -- <engagement id | phone | CRM record id | CallSid | conversation name>',
        '',
      ]
    : []),
  'Local credentials (mocks only):',
  ...Object.entries(stack.credentials).map(([k, v]) => `  ${k.padEnd(22)} ${v}`),
  '',
  `Written to ${join(dir, 'local.json')}`,
  'ready',
];
process.stderr.write(`${lines.join('\n')}\n`);

/** The sample page of ccaip-sdk: as a guest, and signed in with an ID token of the local issuer (valid 1 h). */
function ccaipSdkDemoLines(): string[] {
  const url = stack.functions['ccaip-sdk'];
  if (!url) return [];
  const idToken = stack.oidc.mintIdToken(LOCAL_SDK_AUDIENCE, {
    sub: '0b5e6f0e-8d1a-4a36-9a4e-5f3f0c9d2b71',
    name: 'Local Demo User',
    email: 'demo.user@example.com',
    email_verified: true,
    phone_number: '+14155550123',
  });
  return [
    'CCAI Platform SDK demo page (the Web SDK authenticate callback wired to /token; no secret in it):',
    `  as a guest           ${url}/demo?check=1`,
    `  signed in (1 h)      ${url}/demo?check=1#id_token=${idToken}`,
    `  identity provider    ${stack.oidc.issuer} (audience ${LOCAL_SDK_AUDIENCE})`,
    '',
  ];
}

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`\n${signal}: stopping the local stack\n`);
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  await operatorProxy?.stop();
  await stack.stop();
  process.stderr.write('stopped\n');
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
