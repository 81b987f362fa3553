// Log in with the identity provider (OneHealthID, or the demo one of --dev-login) by the
// authorization-code flow with PKCE (RFC 7636): the verifier stays in this tab's sessionStorage,
// the provider sees only its SHA-256; /login/callback exchanges the code for the ID token.
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = () => b64url(crypto.getRandomValues(new Uint8Array(32)));

const r = await fetch('/api/v1/login-config');
const button = document.getElementById('login');
if (!r.ok) {
  document.getElementById('no-login').hidden = false;
} else {
  const config = await r.json();
  document.getElementById('dev-note').hidden = !config.dev_login;
  button.disabled = false;
  button.addEventListener('click', async () => {
    const verifier = random();
    const state = random();
    const nonce = random();
    const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
    const next = new URLSearchParams(location.search).get('next');
    sessionStorage.setItem('pas.login', JSON.stringify({ verifier, state, nonce, next, config }));
    const url = new URL(config.authorization_endpoint, location.origin);
    url.search = new URLSearchParams({
      response_type: 'code', client_id: config.client_id, redirect_uri: `${location.origin}/login/callback`,
      scope: config.scope, code_challenge: challenge, code_challenge_method: 'S256', state, nonce,
    }).toString();
    location.assign(url.toString());
  });
}
