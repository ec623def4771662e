#!/usr/bin/env node
// memsight's alert rules, two ways: the chart's plain rules file and the PrometheusRule
// a rendering of the chart wraps them in.
//
//   node rules.js extract RENDERED.yaml OUT.json
//       writes the PrometheusRule's spec as a Prometheus rules file ({"groups": [...]};
//       JSON is YAML, so promtool reads it)
//   node rules.js compare PLAIN.yaml EXTRACTED.json [EXPECT.json]
//       the extracted rules must be the plain file's as they are, or changed only as
//       EXPECT.json's prometheusRule says the values change them (interval,
//       agentSelector, alertLabels, runbookUrl): prints where they differ
//   node rules.js runbook PLAIN.yaml README.md
//       every alert's runbook_url names its own section of README.md
//
// Exits 1 when anything differs. The yaml package comes from CHART_NODE_MODULES (harness.js).
'use strict';

const fs = require('fs');
const path = require('path');
const { ROOT, canonical, isObject, readDocs } = require('./harness');

function extract(rendered, out) {
  const rules = readDocs(rendered).filter((d) => d.kind === 'PrometheusRule');
  if (rules.length !== 1) throw new Error(`${rendered}: ${rules.length} PrometheusRules, not 1`);
  fs.writeFileSync(out, JSON.stringify({ groups: rules[0].spec.groups }, null, 2) + '\n');
  return 0;
}

// The plain rules as the chart's values should change them (templates/prometheusrule.yaml).
function expected(plain, want) {
  const groups = JSON.parse(JSON.stringify(plain.groups));
  for (const group of groups) {
    if (want.interval) group.interval = want.interval;
    for (const rule of group.rules) {
      if (want.agentSelector)
        rule.expr = rule.expr.split('job="memsight"').join(want.agentSelector);
      if (want.alertLabels && Object.keys(want.alertLabels).length)
        rule.labels = { ...want.alertLabels, ...(rule.labels || {}) };
      if (want.runbookUrl)
        rule.annotations.runbook_url = `${want.runbookUrl}#${rule.alert.toLowerCase()}`;
    }
  }
  return groups;
}

// Lines "where: plain value -> rendered value" for every leaf that differs.
function differences(a, b, where, out) {
  if (isObject(a) && isObject(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
      differences(a[k], b[k], `${where}.${k}`, out);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++)
      differences(a[i], b[i], `${where}[${i}]`, out);
  } else if (canonical(a) !== canonical(b)) {
    out.push(`${where}: ${JSON.stringify(a)} -> ${JSON.stringify(b)}`);
  }
  return out;
}

function compare(plainFile, extractedFile, expectFile) {
  const plain = readDocs(plainFile)[0];
  const extracted = JSON.parse(fs.readFileSync(extractedFile, 'utf8'));
  const want = expectFile ? JSON.parse(fs.readFileSync(expectFile, 'utf8')).prometheusRule : {};
  if (!isObject(want)) throw new Error(`${expectFile}: no prometheusRule expectations`);
  const diff = differences(expected(plain, want), extracted.groups, 'groups', []);
  const alerts = plain.groups.flatMap((g) => g.rules.map((r) => r.alert));
  if (diff.length) {
    console.log(`the rendered rules differ from ${path.basename(plainFile)}:`);
    for (const d of diff) console.log(`  ${d}`);
    return 1;
  }
  console.log(`${alerts.length} alerts, the same rules (${alerts.join(', ')})`);
  return 0;
}

function runbook(plainFile, readmeFile) {
  const headings = new Set(
    fs
      .readFileSync(readmeFile, 'utf8')
      .split('\n')
      .filter((l) => /^#{2,4} /.test(l))
      .map((l) => l.replace(/^#+ /, '').trim()),
  );
  const where = path.relative(ROOT, readmeFile);
  const wrong = [];
  for (const group of readDocs(plainFile)[0].groups)
    for (const rule of group.rules) {
      const url = (rule.annotations || {}).runbook_url;
      if (url !== `${where}#${rule.alert.toLowerCase()}`)
        wrong.push(`${rule.alert}: runbook_url ${url}`);
      if (!headings.has(rule.alert))
        wrong.push(`${rule.alert}: no section "${rule.alert}" in ${where}`);
    }
  for (const w of wrong) console.log(w);
  return wrong.length ? 1 : 0;
}

function main([mode, ...args]) {
  if (mode === 'extract' && args.length === 2) return extract(...args);
  if (mode === 'compare' && (args.length === 2 || args.length === 3)) return compare(...args);
  if (mode === 'runbook' && args.length === 2) return runbook(...args);
  process.stderr.write('usage: rules.js extract|compare|runbook FILES... (see rules.js)\n');
  return 2;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.log(`rules.js: ${e.message}`);
  process.exitCode = 1;
}
