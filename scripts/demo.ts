/**
 * `npm run demo [-- --engagements=40]`: a realistic day of Zoom Contact Center traffic through
 * the whole pipeline on the local stack — the Zoom mock sends signed webhooks (with
 * duplicates, reordering, delays; files not ready yet, 429s and 5xx on downloads) to
 * zoom-webhook → Pub/Sub → interaction-worker → Cloud Storage and the CRM (the crm function
 * in mock mode) — then prints what arrived where. Everything runs in this process, offline.
 */
import { startStack } from '../local/stack';
import { runZoomDay } from './demo/zoom-day';

const arg = (name: string, fallback: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const engagements = arg('engagements', 40);
const say = (line: string) => process.stderr.write(`${line}\n`);

say('starting the local stack…');
const stack = await startStack({
  pushBackoff: { min: 0.2, max: 2 },
  maxDeliveryAttempts: 5,
  envOverrides: { LOG_LEVEL: 'error', ZOOM_NOT_READY_DELAYS_MS: '300,1000', ZOOM_API_RETRY_BASE_MS: '100', ZOOM_ITEM_SETTLE_MS: '1500' },
});
try {
  const s = await runZoomDay(stack, { engagements, seed: 'demo', date: new Date().toISOString().slice(0, 10) }, say);
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
  console.log(`\nccbridge demo: a day of Zoom Contact Center traffic (${s.engagements} engagements, ${s.seconds.toFixed(1)} s)\n`);
  console.table([
    { stage: 'Zoom webhooks', figure: 'events sent (distinct)', value: s.delivery.events },
    { stage: 'Zoom webhooks', figure: 'HTTP deliveries (duplicates and retries included)', value: s.delivery.requests },
    {
      stage: 'zoom-webhook',
      figure: 'answers by HTTP status',
      value: Object.entries(s.delivery.statuses)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', '),
    },
    { stage: 'zoom-webhook', figure: 'events received', value: s.eventsReceived },
    { stage: 'zoom-webhook', figure: 'duplicates suppressed', value: s.duplicatesSuppressed },
    { stage: 'interaction-worker', figure: 'artifacts stored in Cloud Storage', value: `${s.artifactsStored} (${mib(s.bytesStored)})` },
    { stage: 'interaction-worker', figure: 'redeliveries (retryable failures)', value: s.redeliveries },
    { stage: 'CRM', figure: 'records', value: s.crm.records },
    { stage: 'CRM', figure: 'comments (notes)', value: s.crm.comments },
    { stage: 'CRM', figure: 'attachments (durable links)', value: s.crm.attachments },
    { stage: 'CRM', figure: 'dispositions applied', value: s.crm.dispositions },
    { stage: 'failures', figure: 'permanent (recorded in the ledger)', value: s.artifactsFailed },
    { stage: 'failures', figure: 'dead-lettered messages', value: s.deadLettered },
    {
      stage: 'ledger',
      figure: 'engagements by state',
      value: Object.entries(s.ledger)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', '),
    },
  ]);
} finally {
  await stack.stop();
}
