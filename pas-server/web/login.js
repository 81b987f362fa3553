// Demo logins with `pas serve --dev-login`: pick a persona, keep its ID token for this tab only
// (sessionStorage), go to the workspace.
const message = document.getElementById('message');
const r = await fetch('/dev/personas');
if (r.ok) {
  const personas = await r.json();
  const list = document.getElementById('personas');
  for (const p of personas) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'secondary';
    b.dataset.persona = p.key;
    b.textContent = `Log in as ${p.description}`;
    b.addEventListener('click', async () => {
      const t = await fetch('/dev/login', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ persona: p.key }),
      });
      if (!t.ok) {
        message.className = 'notice bad';
        message.textContent = 'The demo login failed.';
        return;
      }
      sessionStorage.setItem('pas.token', (await t.json()).id_token);
      const back = new URLSearchParams(location.search).get('next');
      location.assign(back && back.startsWith('/') ? back : '/work');
    });
    li.append(b);
    list.append(li);
  }
  document.getElementById('dev').hidden = false;
} else {
  document.getElementById('oidc').hidden = false;
}
