// The identity provider sends the browser back here with a code: exchange it, with the PKCE
// verifier kept by /login, for the ID token, keep that for this tab, and go on.
const message = document.getElementById('message');
const q = new URLSearchParams(location.search);
const saved = JSON.parse(sessionStorage.getItem('pas.login') || 'null');
sessionStorage.removeItem('pas.login');
function fail(text) {
  message.className = 'notice bad';
  message.textContent = text;
  const a = document.createElement('a');
  a.href = '/login';
  a.textContent = 'Try again';
  message.append(' ', a);
}
if (!saved || q.get('state') !== saved.state || !q.get('code')) {
  fail('This login did not start here, or it expired.');
} else {
  const r = await fetch(new URL(saved.config.token_endpoint, location.origin), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: q.get('code'), code_verifier: saved.verifier,
      redirect_uri: `${location.origin}/login/callback`, client_id: saved.config.client_id,
    }),
  });
  const body = await r.json();
  if (!r.ok || !body.id_token) {
    fail(`The identity provider refused the login (${body.error || r.status}).`);
  } else if (claims(body.id_token)?.nonce !== saved.nonce) {
    // OpenID Connect: the token must answer this login, not be replayed from another.
    fail('The identity provider\'s answer does not belong to this login.');
  } else {
    sessionStorage.setItem('pas.token', body.id_token);
    location.replace(sameOrigin(saved.next) || '/work');
  }
}

// The ID token's claims (the server verifies its signature; this only reads the nonce).
function claims(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '=')));
  } catch {
    return null;
  }
}

// Where to go after login: a path of this site only (never `//elsewhere` or `/\elsewhere`).
function sameOrigin(next) {
  if (!next) return null;
  try {
    const u = new URL(next, location.origin);
    return u.origin === location.origin ? `${u.pathname}${u.search}${u.hash}` : null;
  } catch {
    return null;
  }
}
