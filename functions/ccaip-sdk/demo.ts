/**
 * A sample page wiring the Web SDK v3's `authenticate` callback to this function's /token
 * endpoint, as a host site would (docs/contracts/ccai-platform-sdk.md, [WEB3-GUIDE]). It holds
 * no secret: the company id and host are public, the token comes from the endpoint.
 *
 * The ID token of the signed-in user is read from the page's fragment (`#id_token=…`, what an
 * implicit-flow redirect leaves; a real site takes it from its sign-in library). Without one
 * the visitor is a guest (if allowed). The widget script is loaded from the instance's host
 * when CCAIP_HOST is set; `?check=1` runs the callback once and shows what it returned.
 */
export interface DemoPageOptions {
  companyId?: string | undefined;
  /** https://<instance host>/ — the widget loads from <host>/web-sdk/v3/widget.js. */
  host?: string | undefined;
}

export function widgetScriptUrl(host: string): string {
  return new URL('web-sdk/v3/widget.js', host.endsWith('/') ? host : `${host}/`).href;
}

/** JSON for a <script> block: no "</script>" or "<!--" can close or bend it. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderDemoPage(options: DemoPageOptions): string {
  const widget = options.host
    ? `<script src="${escapeHtml(widgetScriptUrl(options.host))}"></script>`
    : '<!-- CCAIP_HOST is not set: the Web SDK widget is not loaded -->';
  const settings = scriptJson({ companyId: options.companyId ?? null, host: options.host ?? null });
  return (
    `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CCAI Platform Web SDK — sign-in demo</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}pre,code{background:#f4f4f4;padding:.2rem .4rem;overflow-wrap:anywhere}</style>
</head>
<body>
<h1>CCAI Platform Web SDK — sign-in demo</h1>
<p>The widget's <code>authenticate</code> callback asks this function's <code>token</code> endpoint for a token ` +
    `signed with the company secret, which stays on the server.</p>
<p>Signed in as: <strong id="who">…</strong></p>
<p id="sdk-status">…</p>
<div id="ccaas-widget"></div>
<p><button id="try" type="button">Run the authenticate callback</button></p>
<pre id="claims"></pre>
<p>Token: <code id="token"></code></p>
<p id="error"></p>
${widget}
<script>
(function () {
  var settings = ${settings};
  var tokenUrl = new URL('token', location.href).href;
  var guestKey = 'ccaipGuest';

  function idToken() {
    var m = /(?:^|&)id_token=([^&]+)/.exec(location.hash.slice(1));
    return m ? decodeURIComponent(m[1]) : null;
  }

  // The Web SDK's authenticate callback: a Promise of {token}.
  function getAuthToken() {
    var headers = {};
    var id = idToken();
    var guest = null;
    try { guest = localStorage.getItem(guestKey); } catch (e) {}
    if (id) headers.authorization = 'Bearer ' + id;
    else if (guest) headers['x-ccaip-guest'] = guest;
    return fetch(tokenUrl, { method: 'POST', credentials: 'include', headers: headers })
      .then(function (resp) {
        if (!resp.ok) return resp.json().then(function (b) { throw new Error('token endpoint answered ' + resp.status + ': ' + (b && b.message)); });
        return resp.json();
      })
      .then(function (body) {
        if (body.guest) { try { localStorage.setItem(guestKey, body.guest); } catch (e) {} }
        return { token: body.token };
      });
  }
  window.getAuthToken = getAuthToken;

  function show(result) {
    var payload = JSON.parse(atob(result.token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    document.getElementById('claims').textContent = JSON.stringify(payload, null, 2);
    document.getElementById('token').textContent = result.token;
  }
  function fail(err) { document.getElementById('error').textContent = String(err && err.message || err); }

  document.getElementById('who').textContent = idToken() ? 'the user of the ID token in this page\\'s address' : 'a guest (no ID token)';
  if (typeof window.UJET === 'function' && settings.companyId && settings.host) {
    var ccaas = new window.UJET({ companyId: settings.companyId, host: settings.host, authenticate: getAuthToken });
    ccaas.mount('#ccaas-widget');
    document.getElementById('sdk-status').textContent = 'Web SDK loaded from ' + settings.host;
  } else {
    document.getElementById('sdk-status').textContent = 'Web SDK not loaded (set CCAIP_HOST and CCAIP_COMPANY_ID); the callback below works without it.';
  }
  document.getElementById('try').addEventListener('click', function () { getAuthToken().then(show, fail); });
  if (new URLSearchParams(location.search).get('check') === '1') getAuthToken().then(show, fail);
})();
</script>
</body>
</html>
`
  );
}
