/**
 * `npm run trace -- <id> [--json] [--local | --env]` and `npm run trace -- --day YYYY-MM-DD`:
 * the operator's view of one interaction or one day, from the stores the bundle already
 * writes, against the local stack or real services (resolved as `npm run reconcile` does).
 */
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { baseConfigShape, type Env, parseConfig } from '../../shared/config';
import { createFirestoreDocStore } from '../../shared/adapters/firestore';
import { createGcsBlobStore } from '../../shared/adapters/gcs';
import { createFirestore, createStorage } from '../../shared/google';
import { conversationHashKeyOf, traceConfigShape } from '../../shared/trace/config';
import { dayView, isUtcDay } from '../../shared/trace/day';
import { formatDay, formatTrace } from '../../shared/trace/format';
import { traceInteraction } from '../../shared/trace/trace';
import { resolveEnvironment } from '../reconcile/environment';

export const USAGE = `usage: npm run trace -- <engagement id | phone number | CRM record id | CallSid | conversation name> [--json] [--local | --env]
       npm run trace -- --day YYYY-MM-DD [--json] [--local | --env]
  --json   print the JSON the operator page uses
  --local  the local stack (.ccbridge/local.json, default when it exists and ZOOM_CLIENT_ID is unset); --env: real services`;

export interface TraceIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

interface TraceArgs {
  id: string | undefined;
  day: string | undefined;
  json: boolean;
  target: 'local' | 'env' | 'auto';
}

function parse(argv: string[]): TraceArgs | string {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        day: { type: 'string' },
        json: { type: 'boolean', default: false },
        local: { type: 'boolean', default: false },
        env: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) return '';
    if (values.local && values.env) return '--local and --env exclude each other';
    if ((positionals.length === 1) === (values.day !== undefined)) return 'give one identifier, or --day';
    if (positionals.length > 1) return 'give one identifier';
    if (values.day !== undefined && !isUtcDay(values.day)) return `--day must be YYYY-MM-DD, got ${values.day}`;
    return { id: positionals[0], day: values.day, json: values.json, target: values.local ? 'local' : values.env ? 'env' : 'auto' };
  } catch (err) {
    return (err as Error).message;
  }
}

export async function runTraceCli(argv: string[], env: Env, repoRoot: string, io: TraceIo): Promise<{ code: number }> {
  const args = parse(argv);
  if (typeof args === 'string') {
    (args ? io.stderr : io.stdout).write(`${args ? `${args}\n` : ''}${USAGE}\n`);
    return { code: args ? 2 : 0 };
  }
  const resolved = resolveEnvironment(args, env, repoRoot);
  Object.assign(process.env, resolved.processEnv);
  const config = parseConfig('trace CLI', z.object({ ...baseConfigShape, ...traceConfigShape }), resolved.env);
  io.stderr.write(`trace against ${resolved.describe}\n`);
  const docs = createFirestoreDocStore(createFirestore(config.GCP_PROJECT, config.FIRESTORE_DATABASE));
  if (args.day !== undefined) {
    const view = await dayView({ docs, retryFailedArtifacts: config.RECONCILE_RETRY_FAILED }, args.day);
    io.stdout.write(args.json ? `${JSON.stringify(view, null, 2)}\n` : formatDay(view));
    return { code: 0 };
  }
  const hashKey = conversationHashKeyOf(config);
  const trace = await traceInteraction(
    {
      docs,
      blobs: createGcsBlobStore(createStorage(config.GCP_PROJECT).bucket(config.ARCHIVE_BUCKET)),
      retryFailedArtifacts: config.RECONCILE_RETRY_FAILED,
      conversations: hashKey ? { collection: config.UI_CONNECTOR_COLLECTION, hashKey, defaultCountry: config.UI_CONNECTOR_DEFAULT_COUNTRY } : undefined,
    },
    args.id!,
  );
  io.stdout.write(args.json ? `${JSON.stringify(trace, null, 2)}\n` : formatTrace(trace));
  return { code: trace.verdict.status === 'failed' ? 1 : trace.verdict.status === 'unknown' ? 3 : 0 };
}
