/**
 * `npm run siprec -- --profile <id|name> [--project P] [--location L] [--country 1]
 *   [--prefix 415]... [--wait 120] [--recognition-topic projects/P/topics/T] [--endpoint URL]
 *   [--no-auth] [--json]`
 *
 * Ensures the conversation profile can take SIPREC calls (see scripts/siprec/provision.ts)
 * and prints the recording-server URI for the Twilio SIPREC connector on stdout (progress
 * goes to stderr, so `$(npm run -s siprec -- …)` captures just the URI).
 * Exit codes: 0 ready — or the number order still pending, which is a warning (a pipeline stays
 * green and Terraform's local-exec is not tainted; run it again later, it never orders twice) —
 * 3 pending with --fail-on-pending, 2 usage, 1 failure.
 * Settings may also come from GCP_PROJECT, DIALOGFLOW_LOCATION, AGENT_ASSIST_CONVERSATION_PROFILE
 * and DIALOGFLOW_API_ENDPOINT.
 */
import { parseArgs } from 'node:util';
import { GoogleAuth } from 'google-auth-library';
import { createDialogflowRest, defaultDialogflowEndpoint, DialogflowApiError } from './siprec/dialogflow-rest';
import { ensureSiprecNumber, resolveProfile } from './siprec/provision';

const USAGE =
  'usage: npm run siprec -- --profile <id|projects/…/conversationProfiles/…> [--project P] [--location global] ' +
  '[--country 1] [--prefix 415] [--wait 120] [--recognition-topic projects/P/topics/T] [--endpoint URL] [--no-auth] ' +
  '[--json] [--fail-on-pending]';

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(argv));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const profileArg = values.profile ?? env['AGENT_ASSIST_CONVERSATION_PROFILE'];
  if (!profileArg) {
    process.stderr.write(`--profile is required\n${USAGE}\n`);
    return 2;
  }
  const waitSeconds = Number(values.wait ?? '120');
  const country = values.country === undefined ? undefined : Number(values.country);
  if (!Number.isFinite(waitSeconds) || waitSeconds < 0 || (country !== undefined && (!Number.isInteger(country) || country < 1 || country > 999))) {
    process.stderr.write(`--wait must be seconds and --country a calling code such as 1 or 44\n${USAGE}\n`);
    return 2;
  }

  let profile: ReturnType<typeof resolveProfile>;
  try {
    profile = resolveProfile(profileArg, { project: values.project ?? env['GCP_PROJECT'], location: values.location ?? env['DIALOGFLOW_LOCATION'] });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const recognitionTopic = values['recognition-topic'];
  if (recognitionTopic !== undefined && !/^projects\/[^/]+\/topics\/[^/]+$/.test(recognitionTopic)) {
    process.stderr.write(`--recognition-topic must be a topic name projects/<project>/topics/<topic>\n${USAGE}\n`);
    return 2;
  }
  const endpoint = values.endpoint ?? env['DIALOGFLOW_API_ENDPOINT'] ?? defaultDialogflowEndpoint(profile.location);
  const local = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(endpoint);
  const auth = values['no-auth'] || local ? undefined : new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
  const api = createDialogflowRest({ endpoint, ...(auth ? { getAccessToken: async () => (await auth.getAccessToken()) ?? undefined } : {}) });

  const log = (line: string) => process.stderr.write(`siprec: ${line}\n`);
  try {
    const result = await ensureSiprecNumber(api, {
      profile,
      spec: { ...(country !== undefined ? { countryCode: country } : {}), ...(values.prefix?.length ? { preferredPrefixes: values.prefix } : {}) },
      waitMs: waitSeconds * 1000,
      pollMs: 5000,
      ...(recognitionTopic !== undefined ? { recognitionTopic } : {}),
      log,
    });
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    if (result.status === 'pending') {
      log(`WARNING: order ${result.orderName} is still pending, no recording-server URI yet; run the same command again later (it will not order twice)`);
      return values['fail-on-pending'] ? 3 : 0;
    }
    if (!values.json) process.stdout.write(`${result.siprecUri}\n`);
    return 0;
  } catch (err) {
    log(err instanceof DialogflowApiError ? `Dialogflow API error (${err.status}): ${err.message}` : `failed: ${(err as Error).message}`);
    return 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      profile: { type: 'string' },
      project: { type: 'string' },
      location: { type: 'string' },
      country: { type: 'string' },
      prefix: { type: 'string', multiple: true },
      wait: { type: 'string' },
      'recognition-topic': { type: 'string' },
      endpoint: { type: 'string' },
      'no-auth': { type: 'boolean' },
      json: { type: 'boolean' },
      'fail-on-pending': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
}

process.exitCode = await main(process.argv.slice(2), process.env);
