#!/usr/bin/env node
// Checks the chart's Grafana dashboard (helm/memsight/files/memsight-dashboard.json) offline.
//
//   node dashboard.js DASHBOARD.json              the checks below
//   node dashboard.js --break WHAT IN.json OUT.json
//                                                 writes a copy with one thing broken, for
//                                                 run.sh to prove the checks can fail
//
// No npm package ships Grafana's dashboard schema as a JSON Schema: @grafana/schema (and
// @grafana/grafana-foundation-sdk) have it as TypeScript declarations, generated from
// Grafana's CUE kinds. validate.js's declaration reader reads them: every field name in the
// dashboard, the panels' options and field config by panel type, must be one Grafana
// declares (types and required fields are not checked). The rest is a structural
// check of what Grafana and the sidecar rely on: unique panel ids, a grid position for
// every panel inside the 24 columns and no two overlapping, every target with an expr and
// a refId unique in its panel, every query on the Prometheus data source variable, every
// $variable declared, rate windows from $__rate_interval, every per-container query
// filtered by all the dashboard's label variables, and every memsight metric it names
// one that memsight exports (user/cli/prom_format.c). Whether each query parses and
// returns data is tests/integration/test_dashboard.sh, against a real Prometheus.
//
// Prints "  ok   ..." and "  FAIL ..." lines; exits 1 when anything failed.
'use strict';

const fs = require('fs');
const path = require('path');

const { ROOT, tool, check, exitStatus, show, memsightExports } = require('./harness');

const PROM_FORMAT = path.join(ROOT, 'user', 'cli', 'prom_format.c');
const DS_VAR = '${datasource}';
// Grafana's global variables a Prometheus query may use.
const BUILTINS = new Set([
  '__rate_interval',
  '__rate_interval_ms',
  '__interval',
  '__interval_ms',
  '__range',
  '__range_s',
  '__range_ms',
  '__from',
  '__to',
  '__dashboard',
  '__org',
  '__user',
]);
const LABEL_VARS = ['node', 'namespace', 'pod', 'container', 'cgroup'];
const PANEL_TYPES = new Set(['row', 'timeseries', 'stat', 'table', 'heatmap', 'state-timeline']);

function allPanels(d) {
  const out = [];
  for (const p of d.panels || []) {
    out.push(p);
    for (const q of p.panels || []) out.push(q);
  }
  return out;
}

function varRefs(text) {
  const names = [];
  const re = /\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g;
  let m;
  while ((m = re.exec(text))) names.push(m[1] || m[2] || m[3]);
  return names;
}

function balanced(expr) {
  const pairs = { ')': '(', ']': '[', '}': '{' };
  const stack = [];
  let quoted = false;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if ('([{'.includes(c)) stack.push(c);
    else if (pairs[c] && stack.pop() !== pairs[c]) return false;
  }
  return !quoted && stack.length === 0;
}

function checkVariables(d) {
  const list = (d.templating && d.templating.list) || [];
  const byName = new Map(list.map((v) => [v.name, v]));
  check('variable names unique', byName.size === list.length, list.map((v) => v.name).join(', '));
  const ds = byName.get('datasource');
  check(
    'a Prometheus data source variable "datasource"',
    ds && ds.type === 'datasource' && ds.query === 'prometheus',
    show(ds),
  );
  for (const name of ['node', 'namespace', 'pod', 'container']) {
    const v = byName.get(name);
    const query = v && (typeof v.query === 'string' ? v.query : (v.query || {}).query);
    check(
      `variable ${name}: label_values(..., ${name}) on the data source variable`,
      v &&
        v.type === 'query' &&
        new RegExp(`^label_values\\((memsight_[a-z_]+(\\{[^}]*\\})?, )?${name}\\)$`).test(query) &&
        v.datasource &&
        v.datasource.uid === DS_VAR,
      show(v && { type: v.type, query, datasource: v.datasource }),
    );
    check(
      `variable ${name}: multi-value with All as .* (series without the label stay in)`,
      v && v.multi === true && v.includeAll === true && v.allValue === '.*',
      show(v && { multi: v.multi, includeAll: v.includeAll, allValue: v.allValue }),
    );
  }
  const cg = byName.get('cgroup');
  check(
    'variable cgroup: a text box, default .*',
    cg && cg.type === 'textbox' && cg.query === '.*',
  );
  const series = byName.get('series');
  check(
    'variable series: how legends name series, {{label}} templates',
    series &&
      series.type === 'custom' &&
      (series.options || []).length > 0 &&
      series.options.every((o) => /^(\{\{\w+\}\}|[/ ])+$/.test(o.value)),
    show(series && series.options),
  );
  return byName;
}

function checkVariableMetrics(byName, metrics) {
  const unknown = [];
  for (const v of byName.values()) {
    if (v.type !== 'query') continue;
    const query = typeof v.query === 'string' ? v.query : (v.query || {}).query || '';
    for (const m of query.matchAll(/\b(memsight_[a-z_]+)\b/g))
      if (!metrics.has(m[1])) unknown.push(`${v.name}: ${m[1]}`);
  }
  check('variables query metrics memsight exports', unknown.length === 0, unknown.join('; '));
}

function checkLayout(panels) {
  const ids = panels.map((p) => p.id);
  const dup = ids.filter((id, i) => ids.indexOf(id) !== i);
  check('panel ids unique integers', dup.length === 0 && ids.every(Number.isInteger), show(dup));
  const bad = panels.filter((p) => {
    const g = p.gridPos;
    return (
      !g ||
      ![g.x, g.y, g.w, g.h].every((n) => Number.isInteger(n) && n >= 0) ||
      g.w < 1 ||
      g.h < 1 ||
      g.x + g.w > 24
    );
  });
  check(
    'every panel has a gridPos within the 24 columns',
    bad.length === 0,
    bad.map((p) => `${p.title}: ${show(p.gridPos)}`).join('; '),
  );
  const overlaps = [];
  for (let i = 0; i < panels.length; i++)
    for (let j = i + 1; j < panels.length; j++) {
      const a = panels[i].gridPos || {};
      const b = panels[j].gridPos || {};
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h)
        overlaps.push(`${panels[i].title} / ${panels[j].title}`);
    }
  check('no two panels overlap', overlaps.length === 0, overlaps.join('; '));
  const titles = panels.filter((p) => p.type !== 'row').map((p) => p.title);
  const dupTitles = titles.filter((t, i) => titles.indexOf(t) !== i);
  check('panel titles unique', dupTitles.length === 0, show(dupTitles));
  const types = panels.filter((p) => !PANEL_TYPES.has(p.type)).map((p) => `${p.title}: ${p.type}`);
  check('panel types are core Grafana panels', types.length === 0, types.join('; '));
}

// One query (a panel target or an annotation): datasource, variables, windows, metrics.
function checkQuery(where, q, declared, metrics, perContainer, problems) {
  const expr = q.expr;
  if (typeof expr !== 'string' || !expr.trim()) {
    problems.push(`${where}: no expr`);
    return;
  }
  if (!q.datasource || q.datasource.type !== 'prometheus' || q.datasource.uid !== DS_VAR)
    problems.push(`${where}: datasource ${show(q.datasource)}, not the $datasource variable`);
  for (const name of varRefs(expr))
    if (!declared.has(name) && !BUILTINS.has(name))
      problems.push(`${where}: undeclared variable $${name}`);
  if (!balanced(expr)) problems.push(`${where}: unbalanced brackets or quotes`);
  for (const m of expr.matchAll(/\[([^\]]*)\]/g))
    if (m[1] !== '$__rate_interval' && m[1] !== '$__range')
      problems.push(`${where}: range [${m[1]}], not [$__rate_interval] or [$__range]`);
  const named = [...expr.matchAll(/\b(memsight_[a-z_]+)\b/g)].map((m) => m[1]);
  if (named.length === 0) problems.push(`${where}: no memsight metric`);
  for (const name of named) {
    const family = name.replace(/_(bucket|sum|count)$/, '');
    if (!metrics.has(name) && !metrics.has(family))
      problems.push(`${where}: ${name} is not a metric memsight exports`);
  }
  // Every selector of a per-container family is filtered by every label variable.
  for (const m of expr.matchAll(/\b(memsight_[a-z_]+)(\{[^}]*\})?/g)) {
    const family = m[1].replace(/_(bucket|sum|count)$/, '');
    const wanted = perContainer.has(m[1]) || perContainer.has(family) ? LABEL_VARS : ['node'];
    for (const label of wanted)
      if (!(m[2] || '').includes(`${label}=~"$${label}"`))
        problems.push(`${where}: ${m[1]} not filtered by ${label}=~"$${label}"`);
  }
}

function checkPanels(d, declared, metrics, perContainer) {
  const problems = [];
  let targets = 0;
  for (const p of allPanels(d).filter((x) => x.type !== 'row')) {
    const where = `"${p.title}"`;
    if (!p.title) problems.push(`panel ${p.id}: no title`);
    if (!p.description || p.description.length < 20) problems.push(`${where}: no description`);
    if (!p.datasource || p.datasource.uid !== DS_VAR)
      problems.push(`${where}: panel datasource ${show(p.datasource)}`);
    const defaults = (p.fieldConfig && p.fieldConfig.defaults) || {};
    const unit = p.type === 'heatmap' ? ((p.options || {}).yAxis || {}).unit : defaults.unit;
    if (p.type !== 'state-timeline' && !unit) problems.push(`${where}: no unit`);
    const ts = p.targets || [];
    if (ts.length === 0) problems.push(`${where}: no targets`);
    const refs = ts.map((t) => t.refId);
    if (refs.some((r) => typeof r !== 'string' || !r) || new Set(refs).size !== refs.length)
      problems.push(`${where}: refIds ${show(refs)} not unique non-empty strings`);
    for (const t of ts) {
      targets++;
      const w = `${where} ${t.refId}`;
      checkQuery(w, t, declared, metrics, perContainer, problems);
      if (!t.legendFormat) problems.push(`${w}: no legendFormat`);
      // Per-container series are named the way the "series" variable says.
      const filtered = LABEL_VARS.every((l) => (t.expr || '').includes(`${l}=~"$${l}"`));
      const aggregated = /\b(sum|count)(\s+by\s*\([^)]*\))?\s*\(/.test(t.expr || '');
      const named = (t.legendFormat || '').includes('${series}');
      if (filtered && !aggregated && p.type !== 'heatmap' && !named)
        problems.push(`${w}: a per-container legend without \${series}`);
    }
  }
  check(
    `${targets} targets: expr, refId, datasource, variables, windows, metrics, filters`,
    problems.length === 0,
    problems.join('; '),
  );
}

function checkAnnotations(d, declared, metrics, perContainer) {
  const list = (d.annotations && d.annotations.list) || [];
  const prom = list.filter((a) => (a.datasource || {}).type === 'prometheus');
  const problems = [];
  for (const a of prom)
    checkQuery(`annotation "${a.name}"`, a, declared, metrics, perContainer, problems);
  check(
    'annotations: expr, datasource, variables, metrics, filters',
    problems.length === 0,
    problems.join('; '),
  );
  const oom = prom.find((a) => a.name === 'OOM kills');
  check(
    'annotation "OOM kills": on by default, the kill time as the series value (ms)',
    oom && oom.enable === true && oom.useValueForTime === true && /\* 1000$/.test(oom.expr || ''),
    show(oom),
  );
}

// Fields of the Prometheus data source's queries and annotations: the data source plugin
// declares them (@grafana/prometheus), not the dashboard schema.
const PROMETHEUS_QUERY = new Set([
  'datasource',
  'editorMode',
  'exemplar',
  'expr',
  'format',
  'hide',
  'instant',
  'interval',
  'intervalFactor',
  'legendFormat',
  'range',
  'refId',
]);
const PROMETHEUS_ANNOTATION = [
  'expr',
  'step',
  'titleFormat',
  'textFormat',
  'tagKeys',
  'useValueForTime',
];

function grafanaSchema(d) {
  let reader;
  let base;
  try {
    reader = require('./validate.js');
    base = path.dirname(tool.resolve('@grafana/schema/package.json'));
  } catch (e) {
    check("Grafana's schema (@grafana/schema, installed by run.sh)", false, e.message);
    return;
  }
  const version = JSON.parse(fs.readFileSync(path.join(base, 'package.json'), 'utf8')).version;
  const types = path.join(base, 'dist', 'types', 'raw');
  const dashboard = reader.loadDeclarations(path.join(types, 'dashboard', 'x', 'types.gen.d.ts'));
  const unknown = [];
  reader.unknownFields(d, { kind: 'ref', name: 'Dashboard' }, dashboard, 'dashboard', unknown);
  const prometheusAnnotation = new RegExp(
    `^dashboard\\.annotations\\.list\\[\\d+\\]\\.(${PROMETHEUS_ANNOTATION.join('|')})$`,
  );
  const left = unknown.filter((u) => !prometheusAnnotation.test(u));
  check(
    `dashboard, panels, variables, annotations: fields @grafana/schema ${version} declares`,
    left.length === 0,
    left.join(', '),
  );
  const problems = [];
  for (const p of allPanels(d).filter((x) => x.type !== 'row')) {
    const where = `"${p.title}"`;
    const plugin = p.type.replace(/-/g, ''); // state-timeline: statetimeline
    const file = path.join(types, 'composable', plugin, 'panelcfg', 'x', 'types.gen.d.ts');
    if (!fs.existsSync(file)) {
      problems.push(`${where}: no schema for panel type ${p.type}`);
      continue;
    }
    const decl = reader.loadDeclarations(file);
    const ref = (name) => ({ kind: 'ref', name });
    reader.unknownFields(p.options || {}, ref('Options'), decl, `${where}.options`, problems);
    const custom = ((p.fieldConfig || {}).defaults || {}).custom;
    if (custom !== undefined) {
      if (decl.locals.has('FieldConfig'))
        reader.unknownFields(custom, ref('FieldConfig'), decl, `${where}.custom`, problems);
      else problems.push(`${where}: fieldConfig.defaults.custom, but ${p.type} has none`);
    }
    for (const t of p.targets || [])
      for (const key of Object.keys(t))
        if (!PROMETHEUS_QUERY.has(key)) problems.push(`${where} target ${t.refId}: ${key}`);
  }
  check(
    "panels' options and custom field config: fields their type's schema declares; " +
      'targets: Prometheus query fields',
    problems.length === 0,
    problems.join(', '),
  );
}

function main(argv) {
  if (argv[0] === '--break') return breakCopy(argv[1], argv[2], argv[3]);
  const file = argv[0];
  let d;
  try {
    d = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    check(`${file} is JSON`, false, e.message);
    return 1;
  }
  check(
    'title, uid (at most 40 characters), schemaVersion, tags',
    typeof d.title === 'string' &&
      /^[A-Za-z0-9_-]{1,40}$/.test(d.uid || '') &&
      Number.isInteger(d.schemaVersion) &&
      Array.isArray(d.tags),
    show({ title: d.title, uid: d.uid, schemaVersion: d.schemaVersion }),
  );
  check(
    'no fixed id (Grafana assigns one per instance)',
    d.id === null || d.id === undefined,
    d.id,
  );
  const byName = checkVariables(d);
  checkLayout(allPanels(d));
  const { families: metrics, containerFamilies: perContainer } = memsightExports();
  check(
    `memsight's metric families read from ${path.relative(ROOT, PROM_FORMAT)}`,
    metrics.size > 20 && perContainer.has('memsight_memory_usage_bytes'),
    metrics.size,
  );
  const declared = new Set(byName.keys());
  checkVariableMetrics(byName, metrics);
  checkPanels(d, declared, metrics, perContainer);
  checkAnnotations(d, declared, metrics, perContainer);
  grafanaSchema(d);
  return exitStatus();
}

// --break WHAT IN OUT: one thing broken, as a careless edit would.
function breakCopy(what, inFile, outFile) {
  const d = JSON.parse(fs.readFileSync(inFile, 'utf8'));
  const panels = allPanels(d).filter((p) => p.type !== 'row');
  const [a, b] = panels;
  const graph = panels.find((p) => p.type === 'timeseries');
  const breakers = {
    'duplicate-id': () => (b.id = a.id),
    'no-refid': () => delete a.targets[0].refId,
    'no-gridpos': () => delete b.gridPos,
    overlap: () => (b.gridPos = { ...a.gridPos }),
    'undeclared-variable': () =>
      (a.targets[0].expr = a.targets[0].expr.replace('$pod', '$podname')),
    'unknown-metric': () =>
      (b.targets[0].expr = b.targets[0].expr.replace(/memsight_\w+/, 'memsight_oom_kill_total')),
    'fixed-window': () => {
      const t = panels.map((p) => p.targets[0]).find((x) => x.expr.includes('$__rate_interval'));
      t.expr = t.expr.replace('$__rate_interval', '5m');
    },
    unfiltered: () =>
      (b.targets[0].expr = b.targets[0].expr.replace(', container=~"$container"', '')),
    'fixed-datasource': () => (b.targets[0].datasource = { type: 'prometheus', uid: 'prometheus' }),
    'misspelt-field': () => (b.descripton = b.description),
    'misspelt-option': () => (graph.options.legend.displaymode = 'table'),
    'misspelt-custom': () => (graph.fieldConfig.defaults.custom.fillOpacty = 10),
    'misspelt-target': () => (b.targets[0].legendFromat = '{{pod}}'),
    'misspelt-variable': () => (d.templating.list[1].inlcudeAll = true),
  };
  if (!breakers[what]) throw new Error(`--break: unknown ${what}; one of ${Object.keys(breakers)}`);
  breakers[what]();
  fs.writeFileSync(outFile, JSON.stringify(d, null, 2));
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.log(`  FAIL dashboard.js: ${e.stack}`);
  process.exitCode = 1;
}
