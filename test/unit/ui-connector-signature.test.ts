/**
 * X-Twilio-Signature verification against vectors computed in this file from Twilio's
 * documented algorithm (HMAC-SHA1 over URL + sorted key/value pairs, base64), never with
 * the implementation's own signer.
 */
import { createHash, createHmac } from 'node:crypto';
import { urlPortVariants, verifyTwilioSignature } from '../../shared/twilio/signature';

const TOKEN = '12345678901234567890123456789012';
const sign = (token: string, data: string) => createHmac('sha1', token).update(data).digest('base64');

describe('Twilio request signatures', () => {
  const url = 'https://mycompany.example/myapp?foo=1&bar=2';
  const params: Array<[string, string]> = [
    ['To', '+18005551212'],
    ['CallSid', 'CA1234567890ABCDE'],
    ['Digits', '1234'],
    ['From', '+14158675310'],
    ['Caller', '+14158675310'],
  ];
  // Sorted by key, each key followed by its value, appended to the URL.
  const expected = sign(TOKEN, `${url}CallSidCA1234567890ABCDECaller+14158675310Digits1234From+14158675310To+18005551212`);

  test('a form request verifies with the sorted parameters', () => {
    expect(verifyTwilioSignature({ signature: expected, urls: [url], params, rawBody: Buffer.alloc(0), authTokens: [TOKEN] })).toEqual({ valid: true });
  });

  test('a changed parameter, URL or token fails', () => {
    const tampered: Array<[string, string]> = params.map(([k, v]) => [k, k === 'Digits' ? '9999' : v]);
    expect(verifyTwilioSignature({ signature: expected, urls: [url], params: tampered, rawBody: Buffer.alloc(0), authTokens: [TOKEN] }).valid).toBe(false);
    expect(verifyTwilioSignature({ signature: expected, urls: [`${url}&x=1`], params, rawBody: Buffer.alloc(0), authTokens: [TOKEN] }).valid).toBe(false);
    expect(verifyTwilioSignature({ signature: expected, urls: [url], params, rawBody: Buffer.alloc(0), authTokens: ['x'.repeat(32)] }).valid).toBe(false);
  });

  test('any of several tokens (rotation, several accounts) may have signed', () => {
    expect(verifyTwilioSignature({ signature: expected, urls: [url], params, rawBody: Buffer.alloc(0), authTokens: ['y'.repeat(32), TOKEN] }).valid).toBe(true);
  });

  test('a repeated key contributes each value, values sorted', () => {
    const p: Array<[string, string]> = [
      ['b', '2'],
      ['a', 'z'],
      ['a', 'y'],
    ];
    const sig = sign(TOKEN, `${url}ayazb2`);
    expect(verifyTwilioSignature({ signature: sig, urls: [url], params: p, rawBody: Buffer.alloc(0), authTokens: [TOKEN] }).valid).toBe(true);
  });

  test('JSON variant: only the URL with bodySHA256 is signed, and the body must match the hash', () => {
    const body = JSON.stringify({ conversationIntegrationKey: '+14155550100', conversationName: 'projects/p/conversations/c1' });
    const hash = createHash('sha256').update(body).digest('hex');
    const signedUrl = `https://fn.example/ui-connector/conversation-name?bodySHA256=${hash}`;
    const sig = sign(TOKEN, signedUrl);
    const check = (raw: string, urls = [signedUrl]) =>
      verifyTwilioSignature({ signature: sig, urls, params: [], rawBody: Buffer.from(raw), authTokens: [TOKEN] });
    expect(check(body)).toEqual({ valid: true });
    expect(check(body.replace('c1', 'c2'))).toEqual({ valid: false, reason: 'body_hash_mismatch' });
    expect(check(body, ['https://fn.example/ui-connector/conversation-name'])).toEqual({ valid: false, reason: 'signature_mismatch' });
  });

  test('the URL is tried with and without its default port, as Twilio’s helper does', () => {
    const withPort = 'https://fn.example:443/ui-connector/register-app';
    const sig = sign(TOKEN, withPort);
    expect(
      verifyTwilioSignature({
        signature: sig,
        urls: ['https://fn.example/ui-connector/register-app'],
        params: [],
        rawBody: Buffer.alloc(0),
        authTokens: [TOKEN],
      }).valid,
    ).toBe(true);
    const sigNoPort = sign(TOKEN, 'http://fn.example/x');
    expect(
      verifyTwilioSignature({ signature: sigNoPort, urls: ['http://fn.example:80/x'], params: [], rawBody: Buffer.alloc(0), authTokens: [TOKEN] }).valid,
    ).toBe(true);
  });

  test('port variants', () => {
    expect(urlPortVariants('https://a.example/p?q=1')).toEqual(['https://a.example/p?q=1', 'https://a.example:443/p?q=1']);
    expect(urlPortVariants('https://a.example:443/p')).toEqual(['https://a.example:443/p', 'https://a.example/p']);
    expect(urlPortVariants('http://127.0.0.1:8080/p')).toEqual(['http://127.0.0.1:8080/p']);
  });
});

describe('agreement with Twilio’s own helper library', () => {
  test('what twilio.validateRequest / validateRequestWithBody accept, we accept; what they refuse, we refuse', async () => {
    const { default: twilio } = await import('twilio');
    const formUrl = 'https://fn.example/ui-connector/register-app';
    const params = { accountSid: 'AC0123', Caller: '+14158675310', Digits: '1 2' };
    const sig = twilio.getExpectedTwilioSignature(TOKEN, formUrl, params);
    expect(twilio.validateRequest(TOKEN, sig, formUrl, params)).toBe(true);
    expect(
      verifyTwilioSignature({ signature: sig, urls: [formUrl], params: Object.entries(params), rawBody: Buffer.alloc(0), authTokens: [TOKEN] }).valid,
    ).toBe(true);

    const body = '{"conversationIntegrationKey":"+14155550100","conversationName":"projects/p/conversations/CA1"}';
    const jsonUrl = `https://fn.example/ui-connector/conversation-name?bodySHA256=${twilio.getExpectedBodyHash(body)}`;
    const jsonSig = twilio.getExpectedTwilioSignature(TOKEN, jsonUrl, {});
    for (const [raw, valid] of [
      [body, true],
      [body.replace('CA1', 'CA2'), false],
    ] as const) {
      expect(twilio.validateRequestWithBody(TOKEN, jsonSig, jsonUrl, raw)).toBe(valid);
      expect(verifyTwilioSignature({ signature: jsonSig, urls: [jsonUrl], params: [], rawBody: Buffer.from(raw), authTokens: [TOKEN] }).valid).toBe(valid);
    }
  });
});
