// The link e-mailed with an endorsement request: log in (keeping the link), then claim the
// request with its one-time token; approving happens in the workspace.
const message = document.getElementById('message');
const token = new URLSearchParams(location.search).get('token');
const session = sessionStorage.getItem('pas.token');
if (!session) {
  location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
} else {
  const r = await fetch('/api/v1/endorsement-requests/receive', {
    method: 'POST',
    headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  const body = await r.json();
  message.className = r.ok ? 'notice good' : 'notice bad';
  message.textContent = r.ok
    ? 'The request is now yours to answer.'
    : `This link cannot be used (${body.code}): ${body.detail}`;
}
