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

module.exports = {
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
