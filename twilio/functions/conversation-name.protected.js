/**
 * Twilio Function (Node.js 22 runtime) called by the Studio flow's Run Function widget
 * `conversation_name`: registers "caller → Agent Assist conversation" with the ccbridge
 * ui-connector. Replaces the reference's ui-connector-auth.js, fixed:
 *   - PROTECTED (the `.protected.js` suffix: the Serverless Toolkit deploys it with visibility
 *     "protected"; in the Console, set the Function to Protected): Twilio's runtime refuses
 *     any request without a valid X-Twilio-Signature of this account, so only Studio (and
 *     the account's own Functions) can run it;
 *   - it posts ONLY to the service's environment variable UI_CONNECTOR_URL (+ /conversation-name),
 *     never to a URL its caller names (the reference took `endpoint` from the request, so
 *     anyone could have it sign a request for their own host and replay the signature);
 *   - every request is signed with the account's auth token ("Add my Twilio Credentials"
 *     must be on), JSON variant: bodySHA256 in the URL, the URL signed;
 *   - a missing parameter is refused here (the reference sent the text "undefined");
 *   - the token goes raw in `Authorization`, as the endpoint expects (a value that already
 *     starts with "Bearer " is passed through);
 *   - the whole call is bounded well under Twilio's 10 s limit (one retry on a 502/503/429
 *     or a network error while time remains; the registration is idempotent);
 *   - the caller's number is never logged.
 * Widget parameters: token, phone, conversationName (an `endpoint` parameter, as old flows
 * send it, is ignored). Answers the endpoint's JSON to the widget
 * (`{ "<phone>": "<conversationName>" }`), or an error (the widget's Fail transition).
 */
const crypto = require('node:crypto');

/** Twilio stops a Function at 10 s; leave room for Studio and the response. */
const DEFAULT_BUDGET_MS = 7000;
const ATTEMPT_TIMEOUT_MS = 4000;
const PLACEHOLDERS = new Set(['', 'undefined', 'null']);

function present(value) {
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  return PLACEHOLDERS.has(text.toLowerCase()) ? undefined : text;
}

/** base64(HMAC-SHA1(authToken, url)) over the URL carrying bodySHA256: Twilio's JSON variant. */
function signJson(url, body, authToken) {
  const signed = new URL(url);
  signed.searchParams.set('bodySHA256', crypto.createHash('sha256').update(body, 'utf8').digest('hex'));
  const signature = crypto.createHmac('sha1', authToken).update(signed.toString(), 'utf8').digest('base64');
  return { url: signed.toString(), signature };
}

async function post(url, headers, body, timeoutMs) {
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = { message: text.slice(0, 200) };
  }
  return { status: res.status, json };
}

exports.handler = async function handler(context, event, callback) {
  const started = Date.now();
  // UI_CONNECTOR_BUDGET_MS (an environment variable of the Twilio service) may only shorten the budget.
  const TOTAL_BUDGET_MS = Math.min(DEFAULT_BUDGET_MS, Number(context.UI_CONNECTOR_BUDGET_MS) || DEFAULT_BUDGET_MS);
  // The target comes from the service's configuration only, never from the request.
  const base = present(context.UI_CONNECTOR_URL);
  const authToken = present(context.AUTH_TOKEN);
  const unset = Object.entries({ UI_CONNECTOR_URL: base, AUTH_TOKEN: authToken })
    .filter(([, v]) => v === undefined)
    .map(([k]) => k);
  if (unset.length > 0) {
    console.error(`conversation-name is not configured: set ${unset.join(', ')} in the service's environment`);
    return callback(new Error(`not configured: ${unset.join(', ')}`));
  }
  let endpoint;
  try {
    const parsed = new URL(`${base.replace(/\/+$/, '')}/conversation-name`);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('not http(s)');
    endpoint = parsed.toString();
  } catch {
    console.error('conversation-name is not configured: UI_CONNECTOR_URL is not an http(s) URL');
    return callback(new Error('not configured: UI_CONNECTOR_URL'));
  }
  const token = present(event.token);
  const phone = present(event.phone);
  const conversationName = present(event.conversationName);
  const missing = Object.entries({ token, phone, conversationName })
    .filter(([, v]) => v === undefined)
    .map(([k]) => k);
  if (missing.length > 0) return callback(new Error(`missing parameter(s): ${missing.join(', ')}`));

  const body = JSON.stringify({ conversationIntegrationKey: phone, conversationName });
  const signed = signJson(endpoint, body, authToken);
  const url = signed.url;
  const headers = { 'Content-Type': 'application/json', Authorization: token, 'X-Twilio-Signature': signed.signature };

  for (let attempt = 1; ; attempt++) {
    const left = TOTAL_BUDGET_MS - (Date.now() - started);
    try {
      const { status, json } = await post(url, headers, body, Math.min(ATTEMPT_TIMEOUT_MS, left));
      if (status >= 200 && status < 300) return callback(null, json);
      const retryable = status === 503 || status === 502 || status === 429;
      if (!retryable || attempt >= 2 || TOTAL_BUDGET_MS - (Date.now() - started) < 1500) {
        console.error(`conversation-name failed: HTTP ${status} ${json?.message ?? ''}`);
        return callback(new Error(`conversation-name failed: HTTP ${status}`));
      }
    } catch (err) {
      if (attempt >= 2 || TOTAL_BUDGET_MS - (Date.now() - started) < 1500) {
        console.error(`conversation-name unreachable: ${err?.name ?? 'error'}`);
        return callback(new Error('conversation-name unreachable'));
      }
    }
    await new Promise((r) => setTimeout(r, 300));
  }
};
