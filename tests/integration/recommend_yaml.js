#!/usr/bin/env node
// Reads `memsight recommend --format yaml` with a real YAML parser and compares it with
// `--format json` of the same run, then writes each `resources` block into a Deployment
// for tests/chart/validate.js to check against the Kubernetes schemas, as the chart's
// renderings are.
//
//   node recommend_yaml.js RECOMMEND.yaml RECOMMEND.jsonl WRAPPED.yaml
//
// Each document must parse, under YAML 1.2 and 1.1 alike (kubectl's parser is of the
// 1.1 family), to the JSON line's names and reason, byte for byte, hostile ones too;
// `resources` must be there exactly when the JSON recommends, with the same bytes as
// Kubernetes quantities, and validate as a ResourceRequirements on its own.
// Prints "  ok   ..." and "  FAIL ..." lines; exits 1 when anything failed.
// The npm packages come from CHART_NODE_MODULES (tests/chart/run.sh --tools-only).
'use strict';

const fs = require('fs');
const path = require('path');
const { tool, YAML, check, exitStatus, show } = require('../chart/harness');

const { ResourceRequirements } = tool('kubernetes-models/v1/ResourceRequirements');

function parseAll(text, version) {
  return YAML.parseAllDocuments(text, { version, uniqueKeys: true }).map((d) => {
    if (d.errors.length) throw new Error(`YAML ${version}: ${d.errors[0].message}`);
    return d.toJS();
  });
}

// "512Mi", "2Gi" -> bytes
function quantityBytes(q) {
  const m = /^([0-9]+)(Mi|Gi)$/.exec(String(q));
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1) * 1048576;
}

function compare(doc, line, label) {
  const differ = ['namespace', 'workload', 'kind', 'container', 'reason'].filter(
    (key) => doc[key] !== line[key],
  );
  check(
    `${label}: names, kind and reason as in the JSON`,
    differ.length === 0,
    differ.map((key) => `${key} ${show(doc[key])} vs ${show(line[key])}`).join(', '),
  );
  const recommended = line.recommended_request_bytes !== null;
  check(
    `${label}: resources ${recommended ? 'given' : 'absent (not recommended)'}`,
    recommended === (doc.resources !== undefined),
    show(doc.resources),
  );
  if (!recommended || !doc.resources) return;
  const r = doc.resources;
  check(
    `${label}: requests.memory ${r.requests && r.requests.memory} is ${line.recommended_request_bytes} bytes`,
    r.requests && quantityBytes(r.requests.memory) === line.recommended_request_bytes,
  );
  check(
    `${label}: limits.memory ${r.limits && r.limits.memory} is ${line.recommended_limit_bytes} bytes`,
    r.limits && quantityBytes(r.limits.memory) === line.recommended_limit_bytes,
  );
  try {
    new ResourceRequirements(r).validate();
    check(`${label}: a valid io.k8s.api.core.v1.ResourceRequirements`, true);
  } catch (e) {
    check(`${label}: a valid io.k8s.api.core.v1.ResourceRequirements`, false, e.message);
  }
}

// A Deployment whose one container has the recommended resources.
function wrap(doc, i) {
  const labels = { app: `recommended-${i}` };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `recommended-${i}`, namespace: 'default' },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: 'example/app:1', resources: doc.resources }] },
      },
    },
  };
}

function main([yamlFile, jsonFile, wrappedFile]) {
  const text = fs.readFileSync(yamlFile, 'utf8');
  const lines = fs
    .readFileSync(jsonFile, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
  const docs = parseAll(text, '1.2');
  const docs11 = parseAll(text, '1.1');
  check(`${docs.length} YAML documents, one per JSON line (${lines.length})`, docs.length === lines.length);
  check('YAML 1.1 reads the same as YAML 1.2', show(docs) === show(docs11));
  const wrapped = [];
  docs.forEach((doc, i) => {
    const line = lines[i] || {};
    const label = `document ${i + 1} (${show(line.namespace)}/${show(line.workload)})`;
    compare(doc, line, label);
    if (doc.resources) wrapped.push(wrap(doc, i + 1));
  });
  fs.writeFileSync(wrappedFile, wrapped.map((d) => `---\n${YAML.stringify(d)}`).join(''));
  return exitStatus();
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.log(`  FAIL recommend_yaml.js: ${e.message}`);
  process.exitCode = 1;
}
