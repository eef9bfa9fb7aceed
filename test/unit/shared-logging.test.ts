import { createMasker } from '../../shared/mask';
import { createLogger, parseTraceHeaders, traceFields } from '../../shared/logging';
import { AppError } from '../../shared/errors';

function capture(level: 'debug' | 'info' = 'debug', secrets: string[] = []) {
  const lines: string[] = [];
  const log = createLogger({ level, projectId: 'proj', masker: createMasker(secrets), sink: (l) => lines.push(l) });
  const entries = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, entries };
}

describe('structured logging', () => {
  test('writes one JSON object per line with Cloud Logging severity and message', () => {
    const { log, entries } = capture();
    log.warn('zoom token refresh slow', { ms: 812 });
    expect(entries()).toEqual([expect.objectContaining({ severity: 'WARNING', message: 'zoom token refresh slow', ms: 812 })]);
  });

  test('drops entries below the configured level', () => {
    const { log, entries } = capture('info');
    log.debug('noise');
    log.info('kept');
    expect(entries().map((e) => e['message'])).toEqual(['kept']);
  });

  test('child loggers carry trace fields in the form Cloud Logging groups by', () => {
    const { log, entries } = capture();
    const trace = parseTraceHeaders({ 'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/1;o=1' });
    log.child(traceFields(trace, 'proj')).info('handled');
    expect(entries()[0]).toMatchObject({
      'logging.googleapis.com/trace': 'projects/proj/traces/105445aa7843bc8bf206b12000100000',
      'logging.googleapis.com/spanId': '0000000000000001',
      'logging.googleapis.com/trace_sampled': true,
    });
  });

  test('reads the W3C traceparent header that Cloud Run sends', () => {
    expect(parseTraceHeaders({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      sampled: true,
    });
    expect(parseTraceHeaders({ traceparent: 'garbage' })).toBeUndefined();
  });

  test('masks secrets, emails and phone numbers anywhere in an entry, including nested fields and errors', () => {
    const { log, lines } = capture('debug', ['s3cr3t-token-value']);
    log.error('call from +14155550100 failed for jane.doe@example.com', {
      nested: { header: 'Bearer s3cr3t-token-value', contact: '(415) 555-0100' },
      err: new Error('upstream said s3cr3t-token-value'),
      conversationIntegrationKey: '14155550100',
    });
    const text = lines.join('\n');
    expect(text).not.toContain('s3cr3t-token-value');
    expect(text).not.toContain('4155550100');
    expect(text).not.toContain('555-0100');
    expect(text).not.toContain('jane.doe@');
    expect(text).toContain('j***@example.com');
    expect(text).toContain('+*********00');
  });

  test('masks phone numbers in paths, percent-encoded, and bare 10-15 digit numbers (found by npm run fuzz)', () => {
    const { log, lines } = capture();
    log.info('request rejected', {
      path: '/accounts/1-312-555-6382',
      encoded: '/records/%2B18055551246',
      parens: '/accounts/%28415%29%20555-1234',
      reason: 'account 12025559808 not found',
    });
    const text = lines.join('\n');
    for (const digits of ['3125556382', '18055551246', '5551234', '12025559808']) expect(text.replace(/\D/g, '')).not.toContain(digits);
    expect(text).toContain('/records/+*********46');
  });

  test('does not mangle timestamps, ids and numbers that are not phone numbers', () => {
    const { log, entries } = capture();
    log.info('event', {
      event_ts: 1732219999000,
      recordingId: 'a1b2c3d4e5',
      path: '/v2/contact_center/recordings',
      at: '2026-11-21T20:13:59.000Z',
      journalId: '01795294985383-ab12cd34',
      progress: '50% done',
    });
    expect(entries()[0]).toMatchObject({
      event_ts: 1732219999000,
      recordingId: 'a1b2c3d4e5',
      path: '/v2/contact_center/recordings',
      at: '2026-11-21T20:13:59.000Z',
      journalId: '01795294985383-ab12cd34',
      progress: '50% done',
    });
  });

  test('leaves timestamps and byte counts in free text alone, and masks bare digits where a phone or caller is named', () => {
    const { log, lines } = capture();
    log.info('item superseded', {
      reason: 'a later disposition (event_ts 1732219999000) is the call result',
      detail: 'body had 10737418240 bytes, Content-Length announced 10737418241',
      window: 'since 1732219999000 until 1732220999000',
    });
    log.info('lookup', {
      note: 'caller: 4155550123 matched',
      key: '/conversation-name?conversationIntegrationKey=14155550177',
      tel: 'phone number 12025550144',
    });
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({
      reason: 'a later disposition (event_ts 1732219999000) is the call result',
      detail: 'body had 10737418240 bytes, Content-Length announced 10737418241',
      window: 'since 1732219999000 until 1732220999000',
    });
    const text = JSON.stringify(second);
    for (const digits of ['4155550123', '14155550177', '12025550144']) expect(text).not.toContain(digits);
    expect(second).toMatchObject({ note: 'caller: ********23 matched' });
  });

  test('serialises AppErrors with their code and status', () => {
    const { log, entries } = capture();
    log.error('failed', { err: new AppError('upstream_error', 502, 'zoom answered 500') });
    expect(entries()[0]!['err']).toMatchObject({ name: 'AppError', code: 'upstream_error', status: 502, message: 'zoom answered 500' });
  });
});
