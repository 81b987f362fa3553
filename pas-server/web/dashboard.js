// Renders the dashboard's tables from the public API; the plots are SVG images rendered by the
// server from the same figures.
const FEW = 'fewer than 10';
const n = (v) => (v === null || v === undefined ? FEW : v.toLocaleString('en-CA'));
const days = (v) => (v === null || v === undefined ? '—' : Math.round(v).toLocaleString('en-CA'));
const one = (v) => (v === null || v === undefined ? '—' : v.toFixed(1));

function rows(id, data) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren(...data.map((cells) => {
    const tr = document.createElement('tr');
    cells.forEach((c, i) => {
      const td = document.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) td.scope = 'row';
      td.textContent = c;
      tr.append(td);
    });
    return tr;
  }));
}

const [dash, stats] = await Promise.all([
  fetch('/api/v1/dashboard').then((r) => r.json()),
  fetch('/api/v1/stats').then((r) => r.json()),
]);
const f = dash.figures;
document.getElementById('computed').textContent =
  `As of ${new Date(dash.computed_at).toLocaleString('en-CA', { dateStyle: 'long', timeStyle: 'short' })}`;
rows('timeline', f.timeline.map((p) => [p.date, n(p.on_list), n(p.attached)]));
const wait = (g, label) => [label, n(g.on_list), days(g.median_days_waiting), n(g.attached), days(g.median_days_to_attach)];
rows('tiers', f.by_tier.map((g) => wait(g, `Priority ${g.group}`)));
rows('communities', f.by_community.length ? f.by_community.map((g) => wait(g, g.group)) : [['No community has 10 or more people yet', '', '', '', '']]);
// Communities with nothing publishable (under 10 waiting, no accepting provider) are summed up
// in one line rather than listed as rows of "fewer than 10".
const shown = dash.care_gaps.filter((g) => g.waiting !== null || g.accepting_providers > 0 || g.community === '(all)');
const hidden = dash.care_gaps.length - shown.length;
if (hidden > 0) {
  const total = shown.pop();
  shown.push({ community: `${hidden} other communities, each with fewer than 10 waiting and no accepting provider`,
    waiting: null, waiting_by_tier: [null, null, null], accepting_providers: 0, open_places: 0, monthly_demand: null,
    months_to_clear: null, never_clears: null }, total);
}
rows('gaps', shown.map((g) => [
  g.community === '(all)' ? 'All of BC' : g.community,
  n(g.waiting),
  g.waiting_by_tier.map(n).join(' / '),
  g.accepting_providers,
  g.open_places,
  one(g.monthly_demand),
  g.never_clears ? 'not at this pace' : one(g.months_to_clear),
]));
const run = document.getElementById('run');
if (stats.last_run) {
  const r = stats.last_run;
  const p = document.createElement('p');
  p.textContent = `Run of ${r.as_of} (${r.region === 'province' ? 'whole province' : `${r.region} region`}): ${r.fair ? 'fair — no one was passed over by someone of lower priority, no family was split, no usable place was left empty' : 'the fairness check FAILED'}. `
    + `People in the run: ${n(r.persons)}; matched: ${n(r.matched_persons)}`
    + (r.match_rate === null ? '.' : ` (${Math.round(r.match_rate * 100)} %).`);
  run.replaceChildren(p);
} else {
  run.textContent = 'No match run yet.';
}
