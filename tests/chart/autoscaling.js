#!/usr/bin/env node
// Checks the chart's autoscaling examples (helm/memsight/examples) beyond their
// Kubernetes schemas, which validate.js checks:
//
//   node autoscaling.js EXAMPLES_DIR WORK_DIR
//
// - memsight's side: every series and label the configurations name is one memsight
//   exports, read from user/cli/prom_format.c (the writer of /metrics);
// - prometheus-adapter's configuration: there is no published schema for it, so this is
//   a STRUCTURAL check against the fields the adapter's documentation lists (rules,
//   seriesQuery, seriesFilters, resources.overrides/template, name.matches/as,
//   metricsQuery), plus the naming: the HPA's metric is one the rules serve, for pods;
// - KEDA's Prometheus trigger: the CRD leaves a trigger's metadata free-form, so this is
//   a STRUCTURAL check against the keys KEDA's Prometheus scaler documents;
// - the PromQL itself: the adapter's queries rendered as the adapter renders them (its
//   <<.Series>>, <<.LabelMatchers>>, <<.GroupBy>> filled in for a request about two
//   pods) and KEDA's query, evaluated by promtool (`promtool test rules`, the Prometheus
//   engine itself) on memsight-shaped series: pause containers, an exited container,
//   another namespace, a canary Deployment, a duplicate scrape, cgroups outside
//   Kubernetes; each query must give exactly the expected samples.
//
// Prints "  ok   ..." and "  FAIL ..." lines; exits 1 when anything failed.
'use strict';

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const {
  ROOT,
  YAML,
  ok,
  fail,
  check,
  exitStatus,
  show,
  isObject,
  memsightExports,
} = require('./harness');

// unknownKeys(OBJECT, ALLOWED, WHERE): keys of OBJECT not in ALLOWED, as where.key.
function unknownKeys(obj, allowed, where) {
  if (!isObject(obj)) return [`${where} (not a mapping)`];
  return Object.keys(obj)
    .filter((k) => !allowed.includes(k))
    .map((k) => `${where}.${k}`);
}

// Label names a PromQL text uses: in matchers and in by/on/ignoring/without lists.
function promqlLabels(text) {
  const names = new Set();
  const plain = text.replace(/<<[^>]*>>/g, ' ');
  for (const m of plain.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"/g)) names.add(m[1]);
  for (const m of plain.matchAll(/\b(?:by|on|ignoring|without)\s*\(([^)]*)\)/g))
    m[1]
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .forEach((n) => names.add(n));
  return names;
}

function promqlMetrics(text) {
  return new Set([...text.matchAll(/\b(memsight_[a-z_]+)/g)].map((m) => m[1]));
}

// ---------------------------------------------------------------------------
// prometheus-adapter: structure and naming (from its documented configuration fields)

const ADAPTER_TOP = ['rules', 'externalRules', 'resourceRules'];
const ADAPTER_RULE = ['seriesQuery', 'seriesFilters', 'resources', 'name', 'metricsQuery'];
const ADAPTER_PLACEHOLDERS = ['<<.Series>>', '<<.LabelMatchers>>', '<<.GroupBy>>'];

function adapterStructure(config) {
  const bad = unknownKeys(config, ADAPTER_TOP, 'config');
  const rules = (config && config.rules) || [];
  check('adapter (structural): rules is a non-empty list', Array.isArray(rules) && rules.length);
  rules.forEach((r, i) => {
    const at = `rules[${i}]`;
    bad.push(...unknownKeys(r, ADAPTER_RULE, at));
    if (!isObject(r)) return;
    check(`adapter (structural): ${at}.seriesQuery a string`, typeof r.seriesQuery === 'string');
    check(`adapter (structural): ${at}.metricsQuery a string`, typeof r.metricsQuery === 'string');
    for (const [j, f] of (r.seriesFilters || []).entries())
      bad.push(...unknownKeys(f, ['is', 'isNot'], `${at}.seriesFilters[${j}]`));
    if (r.resources !== undefined) {
      bad.push(...unknownKeys(r.resources, ['overrides', 'template'], `${at}.resources`));
      for (const [label, gr] of Object.entries(r.resources.overrides || {})) {
        bad.push(...unknownKeys(gr, ['group', 'resource'], `${at}.resources.overrides.${label}`));
        check(
          `adapter (structural): override ${label} names a resource`,
          isObject(gr) && typeof gr.resource === 'string',
          show(gr),
        );
      }
    }
    if (r.name !== undefined) bad.push(...unknownKeys(r.name, ['matches', 'as'], `${at}.name`));
    const held = (r.metricsQuery || '').match(/<<[^>]*>>/g) || [];
    const other = held.filter((p) => !ADAPTER_PLACEHOLDERS.includes(p));
    check(
      `adapter: ${at}.metricsQuery uses only ${ADAPTER_PLACEHOLDERS.join(' ')}`,
      other.length === 0,
      `also ${other.join(' ')} (not rendered by this test)`,
    );
  });
  check('adapter (structural): no unknown fields', bad.length === 0, bad.join(', '));
  return rules.filter(isObject);
}

// The series a rule's seriesQuery selects by name (metric{...}), or null.
function seriesName(rule) {
  const m = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/.exec(rule.seriesQuery || '');
  return m ? m[1] : null;
}

// The metric names a rule serves: its seriesQuery's series through name.matches/as.
function servedNames(rule) {
  const series = seriesName(rule);
  if (!series) return [];
  const matches = new RegExp((rule.name && rule.name.matches) || '.*');
  const hit = matches.exec(series);
  if (!hit) return [];
  const as = (rule.name && rule.name.as) || (hit.length > 1 ? '$1' : '$0');
  return [as.replace(/\$\{?(\d)\}?/g, (_, n) => hit[Number(n)] || '')];
}

function adapterServesHpa(rules, hpa) {
  for (const [i, metric] of ((hpa.spec && hpa.spec.metrics) || []).entries()) {
    if (metric.type !== 'Pods') {
      fail(`HPA metrics[${i}]: type ${metric.type}, expected Pods (per-pod custom metrics)`);
      continue;
    }
    const name = metric.pods.metric.name;
    const rule = rules.find((r) => servedNames(r).includes(name));
    check(`HPA metric ${name} is served by an adapter rule`, rule, 'no rule names it');
    if (!rule) continue;
    const over = (rule.resources && rule.resources.overrides) || {};
    const resources = Object.entries(over).map(([label, gr]) => `${label}:${gr.resource}`);
    check(
      'the rule maps label pod to pods and label namespace to namespaces',
      resources.includes('pod:pod') && resources.includes('namespace:namespace'),
      show(resources),
    );
  }
}

// ---------------------------------------------------------------------------
// KEDA's Prometheus scaler and CPU scaler (keys from KEDA's scaler documentation)

const KEDA_PROMETHEUS_KEYS = [
  'serverAddress',
  'query',
  'threshold',
  'activationThreshold',
  'namespace',
  'customHeaders',
  'ignoreNullValues',
  'queryParameters',
  'unsafeSsl',
];

function kedaTriggers(so) {
  const triggers = (so.spec && so.spec.triggers) || [];
  const prom = triggers.filter((t) => t.type === 'prometheus');
  check('KEDA: one prometheus trigger', prom.length === 1, prom.length);
  for (const t of prom) {
    const md = t.metadata || {};
    const bad = unknownKeys(md, KEDA_PROMETHEUS_KEYS, 'metadata');
    check('KEDA prometheus trigger (structural): no unknown metadata keys', !bad.length, bad);
    for (const k of ['serverAddress', 'query', 'threshold'])
      check(`KEDA prometheus trigger (structural): ${k} given`, typeof md[k] === 'string');
    check(
      'KEDA prometheus trigger: threshold a number',
      md.threshold !== undefined && /^[0-9]+(\.[0-9]+)?$/.test(md.threshold),
      show(md.threshold),
    );
    check(
      'KEDA prometheus trigger: ignoreNullValues true or false',
      md.ignoreNullValues === undefined || ['true', 'false'].includes(md.ignoreNullValues),
      show(md.ignoreNullValues),
    );
    check(
      'KEDA prometheus trigger: metricType Value or AverageValue',
      ['Value', 'AverageValue', undefined].includes(t.metricType),
      show(t.metricType),
    );
  }
  for (const t of triggers.filter((x) => x.type === 'cpu' || x.type === 'memory'))
    check(
      `KEDA ${t.type} trigger: metricType Utilization or AverageValue, numeric value`,
      ['Utilization', 'AverageValue'].includes(t.metricType) &&
        /^[0-9]+$/.test((t.metadata || {}).value),
      show(t),
    );
  return prom.length === 1 ? prom[0].metadata.query : null;
}

// ---------------------------------------------------------------------------
// The queries on memsight-shaped series, evaluated by promtool

const MIB = 1 << 20;
const PODS = ['api-7d9f8c6b5-x2k4q', 'api-7d9f8c6b5-h7p2m'];

// A container as memsight reports it: series labels as prom_format.c writes them.
function container(id, ns, pod, name, cgroup, extra = {}) {
  return { container_id: id, container: name, pod, namespace: ns, cgroup, ...extra };
}

function seriesLine(metric, labels, value) {
  const text = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  return { series: `${metric}{${text}}`, values: `${value}x10` };
}

// [labels, working set bytes, time to limit seconds or null, exited]
function fixture() {
  const kp = '/kubepods/burstable/pod';
  const rows = [
    // pod 1: the app (growing, 600 s to its limit), a sidecar, the pause container
    [container('c1', 'shop', PODS[0], 'api', `${kp}1/c1`), 300 * MIB, 600, false],
    [container('c2', 'shop', PODS[0], 'envoy', `${kp}1/c2`), 50 * MIB, null, false],
    [container('c0', 'shop', PODS[0], '', `${kp}1/c0`), 1 * MIB, null, false],
    // a cri-dockerd pause container (the kubelet names it POD)
    [container('c6', 'shop', PODS[0], 'POD', `${kp}1/c6`), 2 * MIB, null, false],
    // pod 2: the app restarted; the exited container keeps its last figures
    [container('c3', 'shop', PODS[1], 'api', `${kp}2/c3`), 500 * MIB, 300, false],
    [container('c4', 'shop', PODS[1], 'api', `${kp}2/c4`), 900 * MIB, 30, true],
    // pod 2's app scraped twice (two jobs)
    [
      container('c3', 'shop', PODS[1], 'api', `${kp}2/c3`, { job: 'second-scrape' }),
      500 * MIB,
      300,
      false,
    ],
    // a canary Deployment's pod, and a pod of the same name in another namespace
    [container('c5', 'shop', 'api-canary-6b7c9d8f4-q9w8e', 'api', `${kp}3/c5`), 80 * MIB, 100, false],
    [container('c7', 'other', PODS[0], 'api', `${kp}4/c7`), 700 * MIB, 60, false],
    // cgroups that are no container: the pod's own, a system service
    [container('', '', '', '', `${kp}1`), 360 * MIB, null, false],
    [container('', '', '', '', '/system.slice/sshd.service'), 1024 * MIB, 20, false],
  ];
  const input = [];
  for (const [labels, ws, ttl, exited] of rows) {
    input.push(seriesLine('memsight_memory_working_set_bytes', labels, ws));
    if (ttl !== null) input.push(seriesLine('memsight_memory_time_to_limit_seconds', labels, ttl));
    const info = { ...labels, runtime: 'containerd', pod_uid: '', image: '', exited: String(exited) };
    if (!labels.job) input.push(seriesLine('memsight_container_info', info, 1));
  }
  return { rows, input };
}

// The adapter's rendering for `pods/<metric>` of PODS in namespace shop.
function renderAdapter(query, series) {
  return query
    .split('<<.Series>>')
    .join(series)
    .split('<<.LabelMatchers>>')
    .join(`pod=~"${PODS.join('|')}",namespace="shop"`)
    .split('<<.GroupBy>>')
    .join('pod');
}

function promtoolCases(rule, kedaQuery) {
  const { input } = fixture();
  const series = seriesName(rule);
  const tests = [
    {
      interval: '1m',
      input_series: input,
      promql_expr_test: [
        {
          // what the adapter discovers: pods' named containers, one resource per series
          expr: `count by (namespace, pod) (${rule.seriesQuery})`,
          eval_time: '5m',
          exp_samples: [
            { labels: `{namespace="shop",pod="${PODS[0]}"}`, value: 3 },
            { labels: `{namespace="shop",pod="${PODS[1]}"}`, value: 3 },
            { labels: '{namespace="shop",pod="api-canary-6b7c9d8f4-q9w8e"}', value: 1 },
            { labels: `{namespace="other",pod="${PODS[0]}"}`, value: 1 },
          ],
        },
        {
          // per pod: the live, named containers once each (api + envoy; api)
          expr: renderAdapter(rule.metricsQuery, series),
          eval_time: '5m',
          exp_samples: [
            { labels: `{pod="${PODS[0]}"}`, value: 350 * MIB },
            { labels: `{pod="${PODS[1]}"}`, value: 500 * MIB },
          ],
        },
        {
          // the shortest live time to limit among the Deployment's pods: 300 s -> 900/300
          expr: kedaQuery,
          eval_time: '5m',
          exp_samples: [{ labels: '{}', value: 3 }],
        },
      ],
    },
    {
      // nothing growing: no series, so KEDA reads 0 (ignoreNullValues) and CPU decides
      interval: '1m',
      input_series: input.filter((s) => !s.series.startsWith('memsight_memory_time_to_limit')),
      promql_expr_test: [{ expr: kedaQuery, eval_time: '5m', exp_samples: [] }],
    },
  ];
  return { tests };
}

function runPromtool(work, cases) {
  const file = path.join(work, 'autoscaling-queries.test.yaml');
  fs.writeFileSync(file, YAML.stringify(cases));
  try {
    execFileSync('promtool', ['test', 'rules', file], { encoding: 'utf8', stdio: 'pipe' });
    ok('promtool test rules: every query gives exactly the expected samples');
  } catch (e) {
    const out = `${e.stdout || ''}${e.stderr || ''}`.trim() || e.message;
    fail(`promtool test rules:\n${out.replace(/^/gm, '       ')}`);
  }
}

// ---------------------------------------------------------------------------

function readOne(file) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
  const errors = docs.flatMap((d) => d.errors);
  if (errors.length) throw new Error(`${file}: ${errors[0].message}`);
  const values = docs.map((d) => d.toJS()).filter((d) => d !== null);
  if (values.length !== 1) throw new Error(`${file}: ${values.length} documents, expected 1`);
  return values[0];
}

function main([dir, work]) {
  if (!dir || !work) {
    process.stderr.write('usage: autoscaling.js EXAMPLES_DIR WORK_DIR\n');
    return 2;
  }
  const config = readOne(path.join(dir, 'prometheus-adapter-config.yaml'));
  const hpa = readOne(path.join(dir, 'hpa-working-set.yaml'));
  const so = readOne(path.join(dir, 'keda-scaledobject-time-to-limit.yaml'));
  ok('the three examples parse as YAML');

  const rules = adapterStructure(config);
  adapterServesHpa(rules, hpa);
  const kedaQuery = kedaTriggers(so);

  const memsight = memsightExports(); // read from the code that writes /metrics
  const labels = new Set([...memsight.seriesLabels, ...memsight.infoLabels]);
  const queries = [
    ...rules.flatMap((r) => [r.seriesQuery, r.metricsQuery]),
    kedaQuery || '',
  ].join('\n');
  for (const name of promqlMetrics(queries))
    check(`memsight exports ${name}`, memsight.families.has(name), 'not in prom_format.c');
  for (const name of promqlLabels(queries))
    check(`memsight's series carry the label ${name}`, labels.has(name), show([...labels]));
  for (const [label, gr] of Object.entries((rules[0] && rules[0].resources.overrides) || {}))
    check(
      `adapter override ${label} (${gr.resource}) is a label of every memsight series`,
      memsight.seriesLabels.includes(label),
      show(memsight.seriesLabels),
    );
  const fixtureLabels = Object.keys(fixture().rows[0][0]);
  check(
    "the test's series have exactly memsight's labels",
    show(fixtureLabels) === show(memsight.seriesLabels),
    `${show(fixtureLabels)} vs ${show(memsight.seriesLabels)}`,
  );

  if (rules.length && kedaQuery) runPromtool(work, promtoolCases(rules[0], kedaQuery));
  else fail('promtool: no adapter rule or KEDA query to evaluate');
  return exitStatus();
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.log(`  FAIL autoscaling.js: ${e.stack}`);
  process.exitCode = 1;
}
