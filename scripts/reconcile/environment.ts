/**
 * Where the CLI runs against: the local stack (`npm start` writes its URLs and credentials
 * to .ccbridge/local.json) or real services (the environment, with Application Default
 * Credentials for Firestore and Pub/Sub). Locally the same settings as the stack's
 * functions are derived from that file (local/env.ts), so the CLI and the function agree.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import type { Env } from '../../shared/config';
import { buildLocalEnv, emulatorEnv } from '../../local/env';
import { localCredentials } from '../../local/credentials';
import type { CliArgs } from './args';

const localStateSchema = z.object({
  functions: z.record(z.string(), z.url()),
  credentials: z.record(z.string(), z.string()),
  emulators: z.object({
    firestore: z.string(),
    pubsub: z.string(),
    storage: z.string(),
    zoom: z.url(),
    twilio: z.string(),
    dialogflow: z.string(),
    oidcCerts: z.string().optional(),
  }),
});

export interface ResolvedEnvironment {
  target: 'local' | 'env';
  env: Env;
  /** Variables the Google client libraries must see in process.env (emulator hosts). */
  processEnv: Env;
  describe: string;
}

export function localStatePath(repoRoot: string, env: Env): string {
  return join(env['CCBRIDGE_STATE_DIR'] ?? join(repoRoot, '.ccbridge'), 'local.json');
}

export function resolveEnvironment(args: Pick<CliArgs, 'target'>, env: Env, repoRoot: string): ResolvedEnvironment {
  const statePath = localStatePath(repoRoot, env);
  const local = args.target === 'local' || (args.target === 'auto' && existsSync(statePath) && env['ZOOM_CLIENT_ID'] === undefined);
  if (!local)
    return {
      target: 'env',
      env: { LOG_LEVEL: 'warn', ...env },
      processEnv: {},
      describe: `services from the environment (project ${env['GCP_PROJECT'] ?? '?'})`,
    };
  if (!existsSync(statePath)) throw new Error(`no local stack state at ${statePath}: start it with npm start (or use --env)`);
  const state = localStateSchema.parse(JSON.parse(readFileSync(statePath, 'utf8')));
  const anyFunction = Object.values(state.functions)[0];
  if (!anyFunction) throw new Error(`${statePath} lists no function`);
  const gatewayUrl = new URL(anyFunction).origin;
  const endpoints = {
    gatewayUrl,
    firestoreHost: state.emulators.firestore,
    pubsubHost: state.emulators.pubsub,
    storageUrl: state.emulators.storage,
    zoomUrl: state.emulators.zoom,
    twilioUrl: state.emulators.twilio,
    dialogflowUrl: state.emulators.dialogflow,
    oidcCertsUrl: state.emulators.oidcCerts ?? '',
    oidcIssuerUrl: state.emulators.oidcCerts ? new URL(state.emulators.oidcCerts).origin : '',
  };
  // The stack's credentials as written, falling back to the documented local defaults.
  const credentials = { ...localCredentials({}), ...state.credentials };
  const built = buildLocalEnv(endpoints, credentials, { clientEmail: 'unused@local', privateKey: 'unused' });
  // Reconcile settings exported in the shell still apply (rates, lanes, time zone...).
  const overrides = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('RECONCILE_')));
  return {
    target: 'local',
    env: { ...built, ...overrides, LOG_LEVEL: env['LOG_LEVEL'] ?? 'warn' },
    processEnv: emulatorEnv(endpoints),
    describe: `the local stack at ${gatewayUrl} (${statePath})`,
  };
}
