// What the chart's checkers (and tests/integration/recommend_yaml.js) share: the npm
// packages, the "  ok" / "  FAIL" lines and their tally, and YAML files read whole.
// The packages come from CHART_NODE_MODULES (default: build/tools/chart/node_modules,
// which `tests/chart/run.sh --tools-only` installs from the pinned package-lock.json).
'use strict';

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const ROOT = path.resolve(__dirname, '..', '..');
const MODULES = path.resolve(
  process.env.CHART_NODE_MODULES || path.join(ROOT, 'build', 'tools', 'chart', 'node_modules'),
);
// tool(NAME): an npm package from MODULES, never from wherever node would look first.
const tool = createRequire(path.join(MODULES, 'resolve-from-here.js'));
const YAML = tool('yaml');

const tally = { checks: 0, failures: 0 };

function ok(what) {
  tally.checks++;
  console.log(`  ok   ${what}`);
}

function fail(what) {
  tally.checks++;
  tally.failures++;
  console.log(`  FAIL ${what}`);
}

function check(what, cond, detail) {
  if (cond) ok(what);
  else fail(detail === undefined ? what : `${what}: ${detail}`);
}

// The exit status a checker's main returns: 1 when anything failed.
const exitStatus = () => (tally.failures ? 1 : 0);

const show = (v) => JSON.stringify(v);
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
// JSON with object keys sorted: equal values compare equal whatever their key order.
const canonical = (v) =>
  JSON.stringify(v, (k, val) =>
    isObject(val)
      ? Object.fromEntries(
          Object.keys(val)
            .sort()
            .map((key) => [key, val[key]]),
        )
      : val,
  );

// readDocs(FILE): every YAML document of FILE as plain values, empty ones left out;
// throws on the first parse error, naming the file.
function readDocs(file) {
  return YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
      return d.toJS();
    })
    .filter((d) => d !== null);
}

// What memsight exports, read from the code that writes /metrics (user/cli/prom_format.c):
//   families          every metric family name;
//   containerFamilies the families whose series carry the container labels;
//   seriesLabels      those labels, in order (make_labels, up to series_len);
//   infoLabels        memsight_container_info's labels (all of make_labels', and exited).
// When prom_format.c changes shape, this is the one place to follow it.
function memsightExports() {
  const src = fs.readFileSync(path.join(ROOT, 'user', 'cli', 'prom_format.c'), 'utf8');
  const body = (fn) => {
    const start = src.search(new RegExp(`\\n[a-z_ *]*[ *]${fn}\\(`));
    if (start < 0) throw new Error(`prom_format.c: no function ${fn}`);
    return src.slice(start, src.indexOf('\n}\n', start));
  };
  const labels = (text) => [...text.matchAll(/label\(\w+, &first, "([a-z_]+)"/g)].map((m) => m[1]);
  const make = body('make_labels');
  const cut = make.indexOf('series_len = scratch->len;');
  if (cut < 0) throw new Error('prom_format.c: make_labels no longer marks series_len');
  const literal = [...body('container_info_family').matchAll(/,([a-z_]+)=\\"/g)].map((m) => m[1]);
  const names = (re) => new Set([...src.matchAll(re)].map((m) => m[1]));
  return {
    families: names(/"(memsight_[a-z_]+)"/g),
    containerFamilies: names(/(?:key_of|charge_family)\((?:out, entries, )?"(memsight_[a-z_]+)"/g),
    seriesLabels: labels(make.slice(0, cut)),
    infoLabels: [...new Set([...labels(make), ...literal])],
  };
}

module.exports = {
  memsightExports,
  ROOT,
  MODULES,
  tool,
  YAML,
  tally,
  ok,
  fail,
  check,
  exitStatus,
  show,
  isObject,
  canonical,
  readDocs,
};
