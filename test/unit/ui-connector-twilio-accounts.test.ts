/** The Twilio Accounts API check over real HTTP, against the local Twilio mock. */
import { isAppError } from '../../shared/errors';
import { silentLogger } from '../support/doubles/silent-logger';
import { createCachedAccountVerifier, createTwilioAccountVerifier, createTwilioHttp } from '../../functions/ui-connector/twilio-accounts';
import { startTwilioMock, type TwilioMock } from '../../local/mocks/twilio';

const SID = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'f00dfeedf00dfeedf00dfeedf00dfeed';
const SUSPENDED = 'AC99999999999999999999999999999999';

let twilio: TwilioMock;
afterEach(() => twilio.stop());

async function verifierFor(options: { latencyMs?: number; timeoutMs?: number } = {}) {
  twilio = await startTwilioMock({
    accounts: [
      { sid: SID, authToken: TOKEN },
      { sid: SUSPENDED, authToken: TOKEN, status: 'suspended' },
    ],
    ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}),
  });
  const http = createTwilioHttp({ baseUrl: twilio.baseUrl, timeoutMs: options.timeoutMs ?? 2000 });
  return createTwilioAccountVerifier({ http: () => http, log: silentLogger });
}

describe('Twilio Accounts API check', () => {
  test('GET /2010-04-01/Accounts/{Sid}.json with Basic sid:token; 200 + same sid + active = valid', async () => {
    const verifier = await verifierFor();
    await expect(verifier.verify(SID, TOKEN)).resolves.toBe('valid');
    const [request] = twilio.requests;
    expect(request).toMatchObject({ method: 'GET', path: `/2010-04-01/Accounts/${SID}.json` });
    expect(request!.headers.authorization).toBe(`Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`);
  });

  test('a wrong token (401/20003) and a suspended account are invalid', async () => {
    const verifier = await verifierFor();
    await expect(verifier.verify(SID, 'nope-nope-nope-nope-nope-nope-no')).resolves.toBe('invalid');
    await expect(verifier.verify(SUSPENDED, TOKEN)).resolves.toBe('invalid');
  });

  test('one transient 503 is retried once', async () => {
    const verifier = await verifierFor();
    twilio.failNext(1, 503);
    await expect(verifier.verify(SID, TOKEN)).resolves.toBe('valid');
    expect(twilio.requests).toHaveLength(2);
  });

  test('Twilio failing twice, or answering after the client timeout, is a retryable 503', async () => {
    const verifier = await verifierFor();
    twilio.failNext(2, 503);
    const failure = await verifier.verify(SID, TOKEN).catch((e: unknown) => e);
    expect(isAppError(failure) && failure.status).toBe(503);
    await twilio.stop();

    // The mock answers 200 (valid) only after 3 s: a 503 saying "in time" can only be the client's 150 ms timeout.
    const slow = await verifierFor({ latencyMs: 3000, timeoutMs: 150 });
    const timeout = await slow.verify(SID, TOKEN).catch((e: unknown) => e);
    expect(isAppError(timeout) && { status: timeout.status, retryable: timeout.retryable, message: timeout.message }).toEqual({
      status: 503,
      retryable: true,
      message: expect.stringContaining('did not answer in time'),
    });
  });

  test('the cached verifier asks Twilio once per pair and never for unconfigured accounts', async () => {
    const upstream = await verifierFor();
    let now = 0;
    const cached = createCachedAccountVerifier({ upstream, allowedAccountSids: [SID], cacheSeconds: 30, now: () => now });
    await expect(Promise.all([cached.verify(SID, TOKEN), cached.verify(SID, TOKEN)])).resolves.toEqual(['valid', 'valid']);
    await expect(cached.verify(SUSPENDED, TOKEN)).resolves.toBe('invalid');
    expect(twilio.requests).toHaveLength(1);
    // Failures are not cached: a wrong token is asked about each time.
    await cached.verify(SID, 'wrong-wrong-wrong-wrong-wrong-wr');
    await cached.verify(SID, 'wrong-wrong-wrong-wrong-wrong-wr');
    expect(twilio.requests).toHaveLength(3);
    now += 31_000;
    await cached.verify(SID, TOKEN);
    expect(twilio.requests).toHaveLength(4);
  });
});
