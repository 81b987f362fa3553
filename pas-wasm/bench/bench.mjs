// pas-wasm throughput in Node.js on the conformance corpus's records, against native pas-core
// (measured by examples/bench_native.rs in the same run, passed as JSON) and against a zod
// schema of the same rules (zod-baseline.mjs, a bench-only baseline).
//
//   node bench/bench.mjs CORPUS.json NATIVE.json
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { registrationSchema } from './zod-baseline.mjs';

const require = createRequire(import.meta.url);
const pas = require('../pkg/node/pas_wasm.js');
const [corpusPath, nativePath] = process.argv.slice(2);
const corpus = JSON.parse(readFileSync(corpusPath, 'utf8'));
const native = JSON.parse(readFileSync(nativePath, 'utf8'));
const inputs = corpus.cases.map((c) => c.input);
const phns = inputs.map((i) => i.phn);
const asOf = corpus.as_of;
const schema = registrationSchema(asOf);

function rate(items, f, minMs = 1500) {
  for (const x of items.slice(0, 500)) f(x); // warm-up
  let n = 0;
  let ok = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    for (const x of items) ok += f(x) ? 1 : 0;
    n += items.length;
  }
  return n / ((performance.now() - start) / 1000);
}

const wasmValidate = rate(inputs, (i) => pas.validateRegistration(i, asOf).valid);
const wasmPhn = rate(phns, (p) => {
  try {
    pas.parsePhn(p);
    return true;
  } catch {
    return false;
  }
});
const zodValidate = rate(inputs, (i) => schema.safeParse(i).success);

const validInputs = corpus.cases.filter((c) => c.expected.validation.valid).map((c) => c.input);
const invalidInputs = corpus.cases.filter((c) => !c.expected.validation.valid).map((c) => c.input);
const wasmValid = rate(validInputs, (i) => pas.validateRegistration(i, asOf).valid);
const wasmInvalid = rate(invalidInputs, (i) => pas.validateRegistration(i, asOf).valid);
const zodValid = rate(validInputs, (i) => schema.safeParse(i).success);
const zodInvalid = rate(invalidInputs, (i) => schema.safeParse(i).success);

let agree = 0;
for (const i of inputs) agree += pas.validateRegistration(i, asOf).valid === schema.safeParse(i).success ? 1 : 0;

const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M/s` : `${(x / 1e3).toFixed(1)} k/s`);
console.log(`pas-wasm bench: ${inputs.length} records (${corpus.cases.filter((c) => c.expected.validation.valid).length} valid), Node ${process.version}`);
console.log(`| what | native pas-core | pas-wasm (Node) | zod baseline | wasm / native | wasm / zod |`);
console.log(`|---|---|---|---|---|---|`);
console.log(`| validateRegistration | ${fmt(native.validate_per_s)} | ${fmt(wasmValidate)} | ${fmt(zodValidate)} | ${(wasmValidate / native.validate_per_s).toFixed(3)} | ${(wasmValidate / zodValidate).toFixed(2)} |`);
console.log(`| validateRegistration, valid records only | — | ${fmt(wasmValid)} | ${fmt(zodValid)} | — | ${(wasmValid / zodValid).toFixed(2)} |`);
console.log(`| validateRegistration, invalid records only | — | ${fmt(wasmInvalid)} | ${fmt(zodInvalid)} | — | ${(wasmInvalid / zodInvalid).toFixed(2)} |`);
console.log(`| parsePhn | ${fmt(native.phn_per_s)} | ${fmt(wasmPhn)} | — | ${(wasmPhn / native.phn_per_s).toFixed(3)} | — |`);
console.log(`zod baseline agrees with pas-core's valid/invalid verdict on ${agree} of ${inputs.length} records (it has no FSA table and simplified name/e-mail rules)`);
