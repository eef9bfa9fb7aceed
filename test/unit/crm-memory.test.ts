import { AppError } from '../../shared/errors';
import { crmRateLimited } from '../../shared/crm/errors';
import { createMemoryCrm } from '../support/doubles/memory-crm';

describe('memory CRM (test double of the CRM port)', () => {
  it('runs the CCAI Platform sequence and keeps what was written', async () => {
    const crm = createMemoryCrm();
    expect(await crm.findAccount({ phone: '+14155550100' })).toBeUndefined();
    const account = await crm.createAccount({ phone: '+14155550100', name: 'Ada' });
    expect(await crm.findAccount({ phone: '+14155550100' })).toEqual(account);
    expect(await crm.findRecord({ accountId: account.id })).toBeUndefined();
    const record = await crm.createRecord({ accountId: account.id, channel: 'voice', sessionId: 's-1', subject: 'Call' });
    expect(await crm.findRecord({ accountId: account.id })).toEqual(record);
    expect(await crm.findRecord({ sessionId: 's-1' })).toEqual(record);
    await crm.addComment(record.id, { body: 'hello' });
    await crm.addAttachment(record.id, { fileName: 'a.txt', contentType: 'text/plain', content: Buffer.from('abc') });
    const closed = await crm.updateRecord(record.id, { status: 'closed', disposition: 'Resolved', durationSeconds: 61 });
    expect(closed).toMatchObject({ status: 'closed', disposition: 'Resolved', durationSeconds: 61 });
    expect(crm.comments(record.id)).toHaveLength(1);
    expect(crm.attachments(record.id)[0]).toMatchObject({ size: 3, fileName: 'a.txt' });
    expect(crm.calls.map((c) => c.method)).toEqual([
      'findAccount',
      'createAccount',
      'findAccount',
      'findRecord',
      'createRecord',
      'findRecord',
      'findRecord',
      'addComment',
      'addAttachment',
      'updateRecord',
    ]);
  });

  it('makes a repeated write with the same idempotency key a no-op returning the first result', async () => {
    const crm = createMemoryCrm();
    const r1 = await crm.createRecord({ channel: 'chat', sessionId: 's-1', subject: 'A', idempotencyKey: 'k' });
    const r2 = await crm.createRecord({ channel: 'chat', sessionId: 's-2', subject: 'B', idempotencyKey: 'k' });
    expect(r2).toEqual(r1);
    const c1 = await crm.addComment(r1.id, { body: 'x', idempotencyKey: 'note-1' });
    const c2 = await crm.addComment(r1.id, { body: 'x', idempotencyKey: 'note-1' });
    const a1 = await crm.addAttachment(r1.id, { fileName: 'f', contentType: 'text/plain', url: 'https://x/f', idempotencyKey: 'rec-1' });
    const a2 = await crm.addAttachment(r1.id, { fileName: 'f', contentType: 'text/plain', url: 'https://x/f', idempotencyKey: 'rec-1' });
    expect(c2).toEqual(c1);
    expect(a2).toEqual(a1);
    expect(crm.records()).toHaveLength(1);
    expect(crm.comments()).toHaveLength(1);
    expect(crm.attachments()).toHaveLength(1);
  });

  it('keeps one record per session even without a key', async () => {
    const crm = createMemoryCrm();
    const r1 = await crm.createRecord({ channel: 'voice', sessionId: 's-1', subject: 'A' });
    expect(await crm.createRecord({ channel: 'voice', sessionId: 's-1', subject: 'A' })).toEqual(r1);
  });

  it('answers 404 for unknown ids and writes nothing', async () => {
    const crm = createMemoryCrm();
    await expect(crm.updateRecord('nope', { status: 'closed' })).rejects.toMatchObject({ status: 404, code: 'not_found' });
    await expect(crm.addComment('nope', { body: 'x' })).rejects.toMatchObject({ status: 404 });
    await expect(crm.createRecord({ accountId: 'ghost', channel: 'voice', sessionId: 's', subject: 'x' })).rejects.toMatchObject({ status: 404 });
    expect(crm.records()).toHaveLength(0);
    expect(crm.comments()).toHaveLength(0);
  });

  it('fails the next N calls of a method as scripted, then recovers', async () => {
    const crm = createMemoryCrm();
    const record = await crm.createRecord({ channel: 'voice', sessionId: 's', subject: 'x' });
    crm.failNext('addComment', () => crmRateLimited(5, 'memory'), 2);
    await expect(crm.addComment(record.id, { body: '1' })).rejects.toMatchObject({ status: 429, retryAfterSeconds: 5 });
    await expect(crm.addComment(record.id, { body: '1' })).rejects.toBeInstanceOf(AppError);
    await expect(crm.addComment(record.id, { body: '1' })).resolves.toHaveProperty('id');
    expect(crm.comments()).toHaveLength(1);
    expect(crm.calls.filter((c) => c.outcome === 'error')).toHaveLength(2);
  });

  it('delays calls when asked and forgets everything on reset', async () => {
    const crm = createMemoryCrm();
    crm.delay('*', 30);
    const started = Date.now();
    await crm.findAccount({ phone: '+1' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    await crm.createAccount({ phone: '+14155550100' });
    crm.reset();
    expect(crm.accounts()).toHaveLength(0);
    expect(crm.calls).toHaveLength(0);
  });
});
