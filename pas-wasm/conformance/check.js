// Judges every record of the conformance corpus (written natively by
// `cargo run -p pas-wasm --example conformance_corpus`) through the Node build of pas-wasm and
// compares with pas-core's native verdicts: validation errors (field, code, message),
// eligibility reasons and the assessment must be identical; so must households, the match,
// and the §8 panel report (CSV, and in the full module the FHIR export and its report).
//
//   node pas-wasm/conformance/check.js CORPUS.json [MODULE.js]   (default: ../pkg/node/pas_wasm.js)
'use strict';
const fs = require('fs');
const path = require('path');
const { isDeepStrictEqual } = require('util');

const [corpusPath, modulePath = path.join(__dirname, '..', 'pkg', 'node', 'pas_wasm.js')] = process.argv.slice(2);
if (!corpusPath) {
  console.error('usage: node check.js CORPUS.json [MODULE.js]');
  process.exit(2);
}
const pas = require(path.resolve(modulePath));
console.log(`conformance: judging through ${path.relative(process.cwd(), path.resolve(modulePath))}`);
const corpus = JSON.parse(fs.readFileSync(corpusPath, 'utf8'));

function assessment(input, asOf) {
  try {
    return { ok: pas.assessPerson({ birth_date: input.birth_date, needs: input.needs }, asOf) };
  } catch (e) {
    if (!(e instanceof Error) || typeof e.code !== 'string') throw e;
    return { error: { code: e.code, field: e.field ?? null } };
  }
}

let passed = 0;
let failed = 0;
const codes = new Set();
corpus.cases.forEach((c, i) => {
  const got = {
    validation: pas.validateRegistration(c.input, corpus.as_of),
    eligibility: pas.eligibility(c.input, corpus.as_of),
    assessment: assessment(c.input, corpus.as_of),
  };
  got.validation.errors.forEach((e) => codes.add(e.code));
  if (isDeepStrictEqual(got, c.expected)) {
    passed += 1;
  } else {
    failed += 1;
    if (failed <= 5) {
      console.error(`record ${i}: wasm and native differ`);
      console.error('  native:', JSON.stringify(c.expected));
      console.error('  wasm:  ', JSON.stringify(got));
    }
  }
});
function compare(what, got, expected) {
  if (isDeepStrictEqual(got, expected)) {
    passed += 1;
  } else {
    failed += 1;
    if (failed <= 5) {
      console.error(`${what}: wasm and native differ`);
      console.error('  native:', JSON.stringify(expected).slice(0, 2000));
      console.error('  wasm:  ', JSON.stringify(got).slice(0, 2000));
    }
  }
}

for (const [i, h] of corpus.households.entries()) {
  compare(`household ${i}`, pas.validateHousehold(h.members, corpus.as_of), h.expected);
}
const householdCodes = new Set(corpus.households.flatMap((h) => h.expected.errors.map((e) => e.code)));
console.log(`conformance: ${corpus.households.length} households, codes: ${[...householdCodes].sort().join(' ')}`);

if (typeof pas.matchProvince === 'function') {
  const m = corpus.matching;
  // Distances use the pure-Rust libm crate on every platform, so everything — who is matched
  // to whom, ranks, distances, counts, checks — must be bit-identical to native.
  const got = pas.matchProvince(m.patients_csv, m.providers_csv, m.options);
  compare('matchProvince', isDeepStrictEqual(got, m.expected), true);
  console.log(`conformance: matchProvince on ${m.rows} patient rows: ${m.expected.matches.length} match rows, ` +
    `${m.expected.ineligible.length} ineligible, ${m.expected.errors.length} errors`);
} else {
  console.log('conformance: this module has no matchProvince (the forms module); skipped');
}

// §8: the generated panel through validatePanelCsv (text and bytes) must give native's report
// exactly; in the full module, its accepted rows exported as FHIR must be byte-identical
// (length and FNV-1a) and validatePanelFhir on them must give native's FHIR report.
function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}
{
  const p = corpus.panel;
  let started = process.hrtime.bigint();
  const report = pas.validatePanelCsv(p.csv, p.options);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  compare('validatePanelCsv', report, p.expected);
  compare('validatePanelCsv(Uint8Array)', pas.validatePanelCsv(new Uint8Array(Buffer.from(p.csv, 'utf8')), p.options),
    p.expected);
  const panelCodes = new Set([...p.expected.errors, ...p.expected.warnings].map((f) => f.code));
  console.log(`conformance: validatePanelCsv on ${p.expected.rows} rows in ${ms.toFixed(0)} ms: ` +
    `${p.expected.accepted} accepted, ${p.expected.rejected} rejected, ${p.expected.conflicts.length} conflicts, ` +
    `codes: ${[...panelCodes].sort().join(' ')}`);
  if (typeof pas.validatePanelFhir === 'function') {
    const fhir = pas.panelToFhirGroup(p.csv, p.options);
    const bytes = Buffer.from(fhir, 'utf8');
    compare('panelToFhirGroup (bytes, fnv1a)', [bytes.length, fnv1a(bytes)], [p.fhir.bytes, p.fhir.fnv1a]);
    started = process.hrtime.bigint();
    const fhirReport = pas.validatePanelFhir(fhir, p.options);
    const fhirMs = Number(process.hrtime.bigint() - started) / 1e6;
    compare('validatePanelFhir', fhirReport, p.fhir.expected);
    console.log(`conformance: panelToFhirGroup → ${bytes.length} bytes; validatePanelFhir on ` +
      `${p.fhir.expected.rows} rows in ${fhirMs.toFixed(0)} ms`);
  } else {
    console.log('conformance: this module has no validatePanelFhir/panelToFhirGroup (the forms module); skipped');
  }
}

const valid = corpus.cases.filter((c) => c.expected.validation.valid).length;
console.log(`conformance: ${corpus.cases.length} records (${valid} valid, ${corpus.cases.length - valid} invalid), ` +
  `${codes.size} distinct error codes: ${[...codes].sort().join(' ')}`);
console.log(`conformance: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
