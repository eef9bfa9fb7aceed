/** The CRM record of an engagement: found or created once, its id kept in the ledger. */
import type { Channel } from '../../shared/crm/port';
import type { LedgerDoc } from '../../shared/zoom/ledger';
import type { WorkerDeps } from './deps';

export async function ensureCrmRecord(deps: WorkerDeps, doc: LedgerDoc): Promise<string> {
  if (doc.crmRecordId) return doc.crmRecordId;
  const engagementId = doc.engagementId;
  const found = await deps.crm.findRecord({ sessionId: engagementId });
  const record =
    found ??
    (await deps.crm.createRecord({
      channel: channelOf(doc.channel),
      sessionId: engagementId,
      ...(doc.queueId ? { queue: doc.queueId } : {}),
      subject: `Zoom Contact Center engagement ${engagementId}`,
      // Concurrent first events of one engagement create one record (also idempotent by session).
      idempotencyKey: `zoom:${engagementId}:record`,
    }));
  await deps.ledger.setFields(engagementId, { crmRecordId: record.id });
  return record.id;
}

function channelOf(zoomChannel: string | undefined): Channel {
  switch ((zoomChannel ?? '').toLowerCase()) {
    case 'voice':
    case 'phone':
    case 'call':
      return 'voice';
    case 'sms':
      return 'sms';
    case 'chat':
    case 'web_chat':
      return 'chat';
    case 'email':
      return 'email';
    case 'video':
      return 'video';
    case 'messaging':
    case 'message':
      return 'messaging';
    default:
      return zoomChannel ? 'other' : 'voice';
  }
}
