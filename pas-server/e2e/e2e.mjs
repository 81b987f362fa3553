// End-to-end test of the pages `pas serve` ships, in a real browser (Debian's Chromium through
// playwright-core). Usage: node e2e.mjs BASE_URL SCREENSHOT_DIR. Exits non-zero on the first
// failed check. Started by test.sh against a server on 127.0.0.1 with a temporary SQLite file.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

// `today` is the server's date (its test clock): the e2e never reads today's date.
const [base, shots, householdsFile, today] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
// axe-core is evaluated through the DevTools protocol, so the pages' CSP stays on during the test.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--disable-quic'],
});
let checks = 0;
const ok = (cond, what) => {
  assert.ok(cond, what);
  checks += 1;
};

/** axe-core in the page: no serious or critical violation. */
async function accessible(page, what) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  ok(bad.length === 0, `${what}: accessibility violations ${JSON.stringify(bad.map((v) => [v.id, v.nodes.map((n) => n.target)]))}`);
}

try {
  const context = await browser.newContext({ viewport: { width: 1000, height: 1400 } });
  const page = await context.newPage();
  const posts = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/households') posts.push(r.url());
  });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  // The registration form loads pas-wasm and checks as the person types.
  await page.goto(`${base}/register`);
  await page.waitForFunction(() => document.getElementById('rules-status').textContent.includes('checked as you type'));
  await accessible(page, 'empty registration form');

  // Keyboard only: Tab reaches the PHN field first (the registrant has no relationship field).
  await page.keyboard.press('Tab'); // site link
  for (let i = 0; i < 6 && !(await page.evaluate(() => document.activeElement?.id === 'm0-phn')); i += 1) {
    await page.keyboard.press('Tab');
  }
  ok(await page.evaluate(() => document.activeElement?.id === 'm0-phn'), 'Tab reaches the PHN field');
  await page.keyboard.type('9698 658 216'); // wrong check digit
  await page.fill('#m0-given_name', 'Amrit');
  await page.fill('#m0-family_name', 'Sandhu');
  await page.fill('#m0-birth_date', '1980-05-17');
  await page.fill('#m0-postal_code', 'V8W 1P6');
  await page.check('fieldset[data-index="0"] input[value=diabetes]');
  const phnError = await page.textContent('#m0-phn-error');
  ok(/PHN|check digit/i.test(phnError), `inline PHN error shown as typed: "${phnError}"`);
  ok((await page.getAttribute('#m0-phn', 'aria-invalid')) === 'true', 'the PHN field is marked invalid');
  ok((await page.getAttribute('#m0-phn', 'aria-describedby')) === 'm0-phn-error', 'the error is tied to the field');
  ok((await page.textContent('fieldset[data-index="0"] .priority')).includes('Priority 2'), 'the priority is explained as typed');

  // A household member, added with the keyboard-reachable button.
  await page.click('#add-member');
  await page.selectOption('#m1-relationship', 'child');
  await page.fill('#m1-phn', '9876543218');
  await page.fill('#m1-given_name', 'Simran');
  await page.fill('#m1-family_name', 'Sandhu');
  await page.fill('#m1-birth_date', '2015-03-02');
  ok((await page.inputValue('#m1-postal_code')) === 'V8W 1P6', 'a member starts with the registrant’s postal code');

  await page.click('#submit');
  ok((await page.textContent('#summary')).includes('need'), 'submitting with an error says what needs attention');
  ok(await page.evaluate(() => document.activeElement?.id === 'm0-phn'), 'focus moves to the first invalid field');
  ok(posts.length === 0, 'nothing is sent while a field is invalid');
  await page.screenshot({ path: `${shots}/register-error.png`, fullPage: true });

  // Fixed: the error goes away; the server takes the household and the status page opens.
  await page.fill('#m0-phn', '9698 658 215');
  ok((await page.textContent('#m0-phn-error')) === '', 'the PHN error clears when fixed');
  await Promise.all([page.waitForURL(/\/status#household=/), page.click('#submit')]);
  ok(posts.length === 1, 'one POST when everything is valid');
  // The household id is the registrant's registration id (DOMAIN §2).
  const registrantId = decodeURIComponent(/household=([^&]+)/.exec(new URL(page.url()).hash)[1]);
  await page.waitForSelector('section.card');
  const cards = await page.$$eval('section.card', (cs) => cs.map((c) => c.textContent));
  ok(cards.length === 2, 'both members are shown');
  ok(cards[0].includes('On the waiting list') && cards[0].includes('Priority 2'), `status explained: ${cards[0]}`);
  ok((await page.textContent('#message')).includes('You are registered'), 'the person is told they are registered');
  await accessible(page, 'status page');
  await page.screenshot({ path: `${shots}/status.png`, fullPage: true });

  // Registering the same person again gets the friendly message.
  await page.goto(`${base}/register`);
  await page.waitForFunction(() => document.getElementById('rules-status').textContent.includes('checked as you type'));
  await page.fill('#m0-phn', '9698658215');
  await page.fill('#m0-given_name', 'Amrit');
  await page.fill('#m0-family_name', 'Sandhu');
  await page.fill('#m0-birth_date', '1980-05-17');
  await page.fill('#m0-postal_code', 'V8W 1P6');
  await page.click('#submit');
  await page.waitForFunction(() => document.getElementById('summary').textContent.includes('already on the registry'));
  ok(!(await page.textContent('#summary')).includes(registrantId), 'duplicate PHN: already on the registry, naming no registration');

  // The status page offers to send the link again; it answers the same for any PHN.
  await page.goto(`${base}/status`);
  await page.fill('#resend-phn', '9698658215');
  await page.click('#resend button[type=submit]');
  await page.waitForFunction(() => document.getElementById('message').textContent.includes('If this PHN is on the registry'));
  ok(true, 'lost link: asked for it again');
  await accessible(page, 'status page with the link request');

  // Phone-sized screen: no horizontal scrolling; still accessible.
  const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
  const small = await phone.newPage();
  await small.goto(`${base}/register`);
  await small.waitForFunction(() => document.getElementById('rules-status').textContent.includes('checked as you type'));
  ok(await small.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'fits a phone screen');
  await accessible(small, 'registration form on a phone');
  await small.screenshot({ path: `${shots}/register-phone.png`, fullPage: true });

  // The public dashboard, after more households register (figures need 10 or more people).
  const allBodies = readFileSync(householdsFile, 'utf8').trim().split('\n');
  const bodies = allBodies.slice(0, 40);
  let created = 0;
  for (const body of bodies) {
    const r = await fetch(`${base}/api/v1/households`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    if (r.status === 201) created += 1;
  }
  ok(created >= 10, `seeded ${created} households`);
  await page.goto(`${base}/dashboard`);
  await page.waitForFunction(() => document.querySelector('#timeline tbody tr'));
  const timeline = await page.$$eval('#timeline tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
  ok(timeline.length === 12, 'twelve month ends');
  ok(Number(timeline.at(-1)[1]) >= 10, `today's list is shown: ${timeline.at(-1)}`);
  ok(timeline.at(-1)[2] === 'fewer than 10', 'no attachment yet: suppressed, not zero');
  ok(timeline[0][1] === 'fewer than 10', 'an empty month is suppressed, not zero');
  const gaps = await page.$$eval('#gaps tbody tr', (trs) => trs.map((tr) => tr.textContent));
  ok(gaps.at(-1).startsWith('All of BC'), 'care gaps end with the province total');
  for (const img of ['timeline', 'waits']) {
    const width = await page.$eval(`img[src="/dashboard/${img}.svg"]`, (i) => i.naturalWidth);
    ok(width === 720, `the ${img} plot renders`);
  }
  await accessible(page, 'dashboard');
  await small.goto(`${base}/dashboard`);
  await small.waitForFunction(() => document.querySelector('#gaps tbody tr'));
  ok(await small.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the dashboard fits a phone screen');
  await accessible(small, 'dashboard on a phone');

  // Provider side with --dev-login personas: the physician sets profile and capacity, the
  // coordinator runs a match, the physician accepts the registrant's offer, the status page
  // shows it.
  // Log in as a browser does: /login → the identity provider (here --dev-login's demo one) →
  // /login/callback (authorization code + PKCE) → /work.
  const login = async (persona) => {
    await page.goto(`${base}/login`);
    await page.evaluate(() => sessionStorage.clear());
    await page.goto(`${base}/login`);
    await page.waitForFunction(() => !document.getElementById('login').disabled);
    await Promise.all([page.waitForURL(/\/dev\/authorize/), page.click('#login')]);
    await Promise.all([page.waitForURL(/\/work$/), page.click(`button[value="${persona}"]`)]);
    await page.waitForFunction(() => document.getElementById('who').textContent.startsWith('Logged in'));
  };
  // After login, `next` may only be a path of this site: `//evil.example` lands on /work.
  await page.goto(`${base}/login?next=${encodeURIComponent('//evil.example/steal')}`);
  await page.evaluate(() => sessionStorage.clear());
  await page.goto(`${base}/login?next=${encodeURIComponent('//evil.example/steal')}`);
  await page.waitForFunction(() => !document.getElementById('login').disabled);
  await Promise.all([page.waitForURL(/\/dev\/authorize/), page.click('#login')]);
  await Promise.all([page.waitForURL(/\/work$/), page.click('button[value="physician"]')]);
  ok(new URL(page.url()).origin === new URL(base).origin, `no redirect off-site after login: ${page.url()}`);
  await login('physician');
  await page.screenshot({ path: `${shots}/login-workspace.png`, fullPage: true });
  await page.fill('#prof-given_name', 'Ada');
  await page.fill('#prof-family_name', 'Demo');
  await page.selectOption('#prof-gender', 'female');
  await page.fill('#prof-clinic_id', 'F1234');
  await page.fill('#prof-postal_code', 'V8W 2B1');
  await page.click('#profile button[type=submit]');
  await page.waitForFunction(() => document.getElementById('message').textContent === 'Profile saved.');
  await page.check('#cap-accepting');
  await page.fill('#cap-max_new_per_month', 'x');
  await page.click('#capacity button[type=submit]');
  await page.waitForFunction(() => document.getElementById('cap-max_new_per_month-error').textContent !== '');
  ok(true, 'a capacity field error is shown next to its field');
  await page.fill('#cap-max_new_per_month', '50');
  await page.fill('#cap-desired_panel_size', '1200');
  await page.fill('#cap-current_panel_size', '1100');
  await page.fill('#cap-languages', 'en;pa');
  await page.click('#capacity button[type=submit]');
  await page.waitForFunction(() => document.getElementById('open-places').textContent === 'Open places now: 50');
  ok(true, 'capacity saved: 50 open places');
  await accessible(page, 'provider workspace');

  await login('coordinator');
  ok(await page.isHidden('#practice'), 'a coordinator has no practice section');
  await page.click('#run button[type=submit]');
  await page.waitForFunction(() => document.getElementById('run-report').textContent.includes('offer(s) made'));
  const runText = await page.textContent('#run-report');
  ok(/Fair:/.test(runText) && !/^Run \S+ \(\S+\): 0 offer/.test(runText) && /\(province\)/.test(runText), `the run made offers and is fair: ${runText}`);
  await accessible(page, 'coordinator workspace');
  await page.screenshot({ path: `${shots}/coordinator-run.png`, fullPage: true });

  await login('physician');
  await page.waitForSelector('#offers button');
  const accept = page.locator('#offers button', { hasText: 'Accept Amrit Sandhu' });
  ok(await accept.count() === 1, 'the registrant is offered to the physician');
  const amritRow = await page.locator('#offers tr', { hasText: 'Amrit Sandhu' }).first().textContent();
  ok(amritRow.includes('Diabetes') && !amritRow.includes('diabetes'), `needs in plain words on the offer: ${amritRow}`);
  await accept.click();
  await page.waitForFunction(() => document.getElementById('message').textContent === 'Offer accepted.');
  await page.screenshot({ path: `${shots}/provider-offers.png`, fullPage: true });
  const r = await fetch(`${base}/api/v1/registrations/${registrantId}/status`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ phn: '9698658215', birth_date: '1980-05-17' }),
  });
  ok((await r.json()).status === 'accepted', 'the registrant is accepted');

  // Endorsement through the pages (§10): the MOA asks the physician by e-mail (a known party:
  // the request goes straight to them), the physician approves, the MOA completes it and then
  // works the physician's practice.
  await login('moa');
  ok(await page.isHidden('#practice'), 'an MOA without endorsement has no practice');
  await page.fill('#endorse-email', 'dev-physician@example.org');
  await page.click('#endorse button[type=submit]');
  await page.waitForFunction(() => document.getElementById('endorse-list').textContent.includes('received'));
  await login('physician');
  await page.locator('#endorse-list button', { hasText: 'Approve' }).click();
  await page.waitForFunction(() => document.getElementById('endorse-list').textContent.includes('approved'));
  await login('moa');
  await page.locator('#endorse-list button', { hasText: 'Approve' }).click();
  await page.waitForFunction(() => document.getElementById('endorse-list').textContent.includes('active'));
  await page.waitForFunction(() => !document.getElementById('practice').hidden);
  ok((await page.inputValue('#act-for')) === 'D0001', 'the MOA now acts for the physician');
  ok((await page.textContent('#offers')).includes('accepted'), 'and sees the practice’s offers');
  await accessible(page, 'MOA workspace');
  await page.screenshot({ path: `${shots}/moa-workspace.png`, fullPage: true });

  // The e-mailed link (§10): the MOA invites an NP who has never logged in; the invitation in
  // the demo mailbox (--dev-login) carries the link; opening it asks to log in, then claims the request.
  await page.fill('#endorse-email', 'dev-np@example.org');
  await page.click('#endorse button[type=submit]');
  await page.waitForFunction(() => document.getElementById('endorse-list').textContent.includes('created'));
  const outbox = await (await fetch(`${base}/dev/mailbox`, {
    headers: { authorization: `Bearer ${(await (await fetch(`${base}/dev/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"persona":"admin"}' })).json()).id_token}` },
  })).json();
  const invite = outbox.filter((m) => m.template === 'endorsement_request').at(-1);
  ok(invite && invite.link.startsWith(`${base}/endorsements/receive?token=`), 'the invitation carries the link');
  await page.evaluate(() => sessionStorage.clear());
  await Promise.all([page.waitForURL(/\/login\?next=/), page.goto(invite.link)]);
  await page.waitForFunction(() => !document.getElementById('login').disabled);
  await Promise.all([page.waitForURL(/\/dev\/authorize/), page.click('#login')]);
  await Promise.all([page.waitForURL(/\/endorsements\/receive\?token=/), page.click('button[value="np"]')]);
  await page.waitForFunction(() => document.getElementById('message').textContent.includes('yours to answer'));
  ok(true, 'the link, after login, makes the NP the recipient');
  await accessible(page, 'endorsement link page');

  // Panel upload through the page: the registrant's child is on the physician's panel, with one
  // row that is not valid; the findings table names its line and the child is attached (§8, §9).
  await login('physician');
  const panelCsv = 'msp_practitioner_number,phn,family_name,given_name,birth_date,gender,postal_code,last_visit_date\n'
    + `D0001,9876543218,Sandhu,Simran,2015-03-02,female,V8W 1P6,${today}\n`
    + 'D0001,12345,Nobody,No,1990-01-01,,,\n';
  await page.setInputFiles('#panel-file', { name: 'panel.csv', mimeType: 'text/csv', buffer: Buffer.from(panelCsv) });
  await page.click('#panel button[type=submit]');
  await page.waitForSelector('#panel-report table');
  const findings = await page.$$eval('#panel-report tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
  ok(findings.some((f) => f[0] === '3' && f[3] === 'invalid_phn'), `the bad row is reported at line 3: ${JSON.stringify(findings)}`);
  ok((await page.textContent('#panel-report')).includes('1 patient(s) from the waitlist now attached'), 'reconciliation attached the child');
  ok((await page.getAttribute('#panel-report a[download]', 'download')) === 'panel-findings.csv', 'findings downloadable as CSV');
  await accessible(page, 'panel report');
  await page.screenshot({ path: `${shots}/panel-report.png`, fullPage: true });

  // The clinic record, kept by its medical director.
  const tokenOf = async (persona) => (await (await fetch(`${base}/dev/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ persona }),
  })).json()).id_token;
  const as = (t) => ({ authorization: `Bearer ${t}`, 'content-type': 'application/json' });
  const admin = await tokenOf('admin');
  await fetch(`${base}/api/v1/me`, { headers: as(await tokenOf('director')) });
  let res = await fetch(`${base}/api/v1/clinics`, {
    method: 'POST', headers: as(admin), body: JSON.stringify({
      facility_number: 'F1234', name: 'Harbour Family Practice', address: '100 Wharf St, Victoria', phone: '250-555-0100',
      hours: 'Mo-Fr 08:00-17:00', members: [{ party: 'dev-director', roles: 'medical_director;provider' }, { party: 'dev-physician', roles: 'provider' }],
    }),
  });
  ok(res.status === 201, 'the admin adds the clinic');
  await login('director');
  await page.waitForFunction(() => !document.getElementById('clinic').hidden && document.getElementById('cl-name').value !== '');
  await page.fill('#cl-hours', 'Mo-Fr 08:00-17:00; Sa 09:00-12:00');
  await page.click('#clinic-form button[type=submit]');
  await page.waitForFunction(() => document.getElementById('message').textContent === 'Clinic record saved.');
  res = await fetch(`${base}/api/v1/clinics/F1234`, { headers: as(admin) });
  ok((await res.json()).hours.includes('Sa 09:00-12:00'), 'the new hours are stored');
  // A director of two clinics chooses which record to keep.
  res = await fetch(`${base}/api/v1/clinics`, {
    method: 'POST', headers: as(admin), body: JSON.stringify({
      facility_number: 'F5678', name: 'Hillside Health Centre', address: '2 Hill St, Victoria', phone: '250-555-0199',
      hours: 'Mo-Fr 09:00-16:00', members: [{ party: 'dev-director', roles: 'medical_director' }],
    }),
  });
  ok(res.status === 201, 'the admin adds a second clinic with the same director');
  await page.reload();
  await page.waitForFunction(() => !document.getElementById('clinic-choice').hidden && document.getElementById('cl-name').value !== '');
  await page.selectOption('#clinic-select', 'F5678');
  await page.waitForFunction(() => document.getElementById('cl-name').value === 'Hillside Health Centre');
  ok(true, 'the director switches to the second clinic\'s record');

  // Ten and more attachments make the dashboard show them (§11): households near the physician
  // register, a match offers them, the physician accepts and bills 98990 for each.
  const near = allBodies.slice(40, 54).map((line) => {
    const h = JSON.parse(line);
    for (const m of h.members) Object.assign(m, { postal_code: 'V8W 1P6', latitude: '', longitude: '', travel: 'any', community: 'Victoria' });
    return h;
  });
  for (const h of near) {
    res = await fetch(`${base}/api/v1/households`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(h) });
    ok(res.status === 201, 'a household near Victoria registers');
  }
  const physician = await tokenOf('physician');
  res = await fetch(`${base}/api/v1/match-runs`, { method: 'POST', headers: as(await tokenOf('coordinator')), body: '{}' });
  ok(res.status === 201, 'a second run');
  const offers = await (await fetch(`${base}/api/v1/providers/D0001/offers`, { headers: as(physician) })).json();
  for (const o of offers) await fetch(`${base}/api/v1/offers/${o.offer_id}/accept`, { method: 'POST', headers: as(physician) });
  let claimed = 0;
  for (const m of near.flatMap((h) => h.members)) {
    res = await fetch(`${base}/api/v1/claims`, {
      method: 'POST', headers: as(physician),
      body: JSON.stringify({ phn: m.phn, practitioner_number: 'D0001', fee_code: '98990', service_date: today }),
    });
    if (res.status === 201) claimed += 1;
  }
  ok(claimed >= 10, `${claimed} attachment claims`);
  await page.goto(`${base}/dashboard`);
  await page.waitForFunction(() => document.querySelector('#timeline tbody tr'));
  const lastMonth = await page.$$eval('#timeline tbody tr', (trs) => [...trs.at(-1).children].map((c) => c.textContent));
  ok(Number(lastMonth[2]) >= 10, `the dashboard shows the attachments: ${lastMonth}`);
  await page.screenshot({ path: `${shots}/dashboard.png`, fullPage: true });

  // The landing page.
  await page.goto(`${base}/`);
  await accessible(page, 'landing page');
  await page.screenshot({ path: `${shots}/home.png` });

  ok(errors.length === 0, `no script errors: ${errors.join('; ')}`);
  console.log(`e2e: ${checks} checks passed; screenshots in ${shots}`);
} finally {
  await browser.close();
}
