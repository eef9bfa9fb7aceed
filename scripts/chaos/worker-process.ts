/**
 * One instance of interaction-worker for the chaos run (started by ./worker-pool, never by
 * hand): the function composed from the environment the driver sends over IPC, on a
 * gateway whose port it shares with its replacement (SO_REUSEPORT), so the driver can start
 * a new instance and then SIGKILL this one mid-upload without the push endpoint ever
 * refusing connections. Its log lines go to stdout (the driver writes them to a file).
 * Ready: an IPC message `{ready: true, pid}`. It stops when the driver goes away.
 */
import type { Env } from '../../shared/config';
import { composers } from '../../local/function-registry';
import { startGateway } from '../../local/gateway';
import { readFunctionManifest } from '../../local/manifest';

export interface WorkerStart {
  env: Env;
  port: number;
}

const WORKER = 'interaction-worker';

if (!process.send) {
  process.stderr.write('worker-process: started by the chaos run only (needs an IPC channel)\n');
  process.exit(2);
}
process.on('disconnect', () => process.exit(0));

process.once('message', (raw: unknown) => {
  const { env, port } = raw as WorkerStart;
  // The Google clients read the emulator hosts from process.env.
  for (const key of ['FIRESTORE_EMULATOR_HOST', 'PUBSUB_EMULATOR_HOST', 'STORAGE_EMULATOR_HOST', 'GOOGLE_CLOUD_PROJECT', 'METADATA_SERVER_DETECTION']) {
    const value = env[key];
    if (value !== undefined) process.env[key] = value;
  }
  void (async () => {
    const entry = readFunctionManifest().find((f) => f.name === WORKER);
    const compose = composers[WORKER];
    if (!entry || !compose) throw new Error(`${WORKER} is not in the function manifest`);
    const gateway = await startGateway({ port, reusePort: true });
    gateway.mount(WORKER, entry.entryPoint, compose(env));
    process.send!({ ready: true, pid: process.pid });
  })().catch((err: unknown) => {
    process.stderr.write(`worker-process: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
});
