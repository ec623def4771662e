#!/usr/bin/env node
// Checks a rendering of the memsight chart (helm template output), offline.
//
//   node validate.js RENDERED.yaml                 schema checks only
//   node validate.js RENDERED.yaml EXPECT.json [MORE.json...]
//                                                  schema checks, then the chart's facts
//                                                  (MORE's keys replace EXPECT's)
//   node validate.js --notes RENDERED.yaml         prints the text of a rendered-notes doc
//
// Schema checks, for every object: its apiVersion/kind must be a known model
// (kubernetes-models, the Prometheus operator's for ServiceMonitor, KEDA's for the
// ScaledObject example): an unknown kind
// fails. The model's JSON schema validates types, enums and required fields; the model's
// TypeScript declarations, read here, give every known field name, so an unknown (for
// example misspelt) field anywhere in the object fails too, as `kubectl --validate=strict`
// would.
//
// Prints "  ok   ..." and "  FAIL ..." lines; exits 1 when anything failed.
// The npm packages come from CHART_NODE_MODULES (default: build/tools/chart/node_modules).
'use strict';

const fs = require('fs');
const path = require('path');
const {
  ROOT,
  isObject,
  tool: req,
  ok,
  fail,
  check,
  exitStatus,
  show,
  canonical,
  readDocs,
} = require('./harness');

const sameJson = (a, b) => canonical(a) === canonical(b);

// ---------------------------------------------------------------------------
// Reading TypeScript declaration files: just enough of the language for the .d.ts files
// these packages generate (interfaces, type aliases, imports, export lists).

function tokenize(src) {
  const tokens = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (src.startsWith('//', i)) {
      i = src.indexOf('\n', i);
      if (i < 0) break;
    } else if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) break;
      i = end + 2;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\') j++;
        s += src[j++];
      }
      tokens.push({ t: 'str', v: s });
      i = j + 1;
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][\w$]*/.exec(src.slice(i, i + 200));
      tokens.push({ t: 'id', v: m[0] });
      i += m[0].length;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9.eE+-]+/.exec(src.slice(i, i + 50));
      tokens.push({ t: 'num', v: m[0] });
      i += m[0].length;
    } else {
      tokens.push({ t: 'p', v: c });
      i++;
    }
  }
  return tokens;
}

class Parser {
  constructor(tokens) {
    this.toks = tokens;
    this.i = 0;
  }

  peek(k = 0) {
    return this.toks[this.i + k];
  }

  is(v, k = 0) {
    const t = this.peek(k);
    return t !== undefined && (t.t === 'p' || t.t === 'id') && t.v === v;
  }

  next() {
    return this.toks[this.i++];
  }

  expect(v) {
    const t = this.next();
    if (!t || t.v !== v) throw new Error(`expected '${v}', got ${show(t)}`);
    return t;
  }

  // Skips <...> (type parameters or arguments).
  skipGenerics() {
    let depth = 0;
    do {
      const g = this.next();
      if (g.v === '<') depth++;
      if (g.v === '>') depth--;
    } while (depth > 0);
  }

  // Skips one statement or balanced block at the top level.
  skipStatement() {
    let depth = 0;
    while (this.i < this.toks.length) {
      const t = this.next();
      if (t.t !== 'p') continue;
      if (t.v === '{' || t.v === '(' || t.v === '[') depth++;
      else if (t.v === '}' || t.v === ')' || t.v === ']') {
        depth--;
        if (depth === 0 && t.v === '}' && !this.is(';')) return;
      } else if (t.v === ';' && depth === 0) return;
    }
  }

  type() {
    if (this.is('|')) this.next();
    const members = [this.postfix()];
    while (this.is('|')) {
      this.next();
      members.push(this.postfix());
    }
    return members.length === 1 ? members[0] : { kind: 'union', of: members };
  }

  postfix() {
    let t = this.primary();
    while (this.is('[') && this.is(']', 1)) {
      this.next();
      this.next();
      t = { kind: 'array', of: t };
    }
    return t;
  }

  primary() {
    const t = this.next();
    if (!t) throw new Error('type expected');
    if (t.t === 'str' || t.t === 'num') return { kind: 'prim' };
    if (t.t === 'p' && t.v === '-') {
      this.next();
      return { kind: 'prim' };
    }
    if (t.t === 'p' && t.v === '(') {
      const inner = this.type();
      this.expect(')');
      return inner;
    }
    if (t.t === 'p' && t.v === '{') return this.objectBody();
    if (t.t !== 'id') throw new Error(`unexpected ${show(t)} in a type`);
    if ((t.v === 'Array' || t.v === 'ReadonlyArray') && this.is('<')) {
      this.next();
      const of = this.type();
      this.expect('>');
      return { kind: 'array', of };
    }
    if (t.v === 'Record' && this.is('<')) {
      this.next();
      this.type();
      this.expect(',');
      const index = this.type();
      this.expect('>');
      return { kind: 'object', props: {}, index };
    }
    let name = t.v;
    // A qualified name: a namespace import's type (common.VizLegendOptions) or an enum
    // member (MappingType.ValueToText).
    while (this.is('.') && this.peek(1) && this.peek(1).t === 'id') {
      this.next();
      name += `.${this.next().v}`;
    }
    let type = { kind: 'ref', name };
    if (['string', 'number', 'boolean', 'true', 'false', 'null', 'undefined'].includes(t.v))
      type = { kind: 'prim' };
    else if (['any', 'unknown', 'object'].includes(t.v)) type = { kind: 'any' };
    if (this.is('<')) {
      // Generic arguments of a named type: not needed here.
      let depth = 0;
      do {
        const g = this.next();
        if (g.v === '<') depth++;
        if (g.v === '>') depth--;
      } while (depth > 0);
      type = { kind: 'any' };
    }
    while (this.is('[') && !this.is(']', 1)) {
      // Indexed access (T["apiVersion"]): a property's own type, never an object here.
      this.next();
      this.type();
      this.expect(']');
      type = { kind: 'any' };
    }
    return type;
  }

  // After '{': members up to the matching '}'.
  objectBody() {
    const props = {};
    let index = null;
    while (!this.is('}')) {
      if (this.is('readonly') && !this.is(':', 1) && !this.is('?', 1)) this.next();
      if (this.is('[')) {
        this.next();
        this.next(); // key name
        this.expect(':');
        this.type();
        this.expect(']');
        this.expect(':');
        index = this.type();
      } else {
        const key = this.next();
        if (key.t !== 'str' && key.t !== 'id')
          throw new Error(`member name expected, got ${show(key)}`);
        if (this.is('?')) this.next();
        this.expect(':');
        props[key.v] = this.type();
      }
      if (this.is(';') || this.is(',')) this.next();
    }
    this.expect('}');
    return { kind: 'object', props, index };
  }
}

const declarations = new Map(); // .d.ts path -> {locals, exported, imports, file}

function loadDeclarations(file) {
  if (declarations.has(file)) return declarations.get(file);
  const decl = {
    file,
    locals: new Map(),
    exported: new Map(),
    imports: new Map(),
    namespaces: new Map(), // import * as NAME from 'SPEC'
    stars: [], // export * from 'SPEC'
  };
  declarations.set(file, decl);
  const p = new Parser(tokenize(fs.readFileSync(file, 'utf8')));
  while (p.i < p.toks.length) {
    if (p.is('import') && p.is('*', 1) && p.is('as', 2)) {
      p.i += 3;
      const name = p.next().v;
      p.expect('from');
      decl.namespaces.set(name, p.next().v);
      if (p.is(';')) p.next();
      continue;
    }
    if (p.is('export') && p.is('*', 1) && p.is('from', 2)) {
      p.i += 3;
      decl.stars.push(p.next().v);
      if (p.is(';')) p.next();
      continue;
    }
    if (p.is('export') && (p.is('{', 1) || (p.is('type', 1) && p.is('{', 2)))) {
      // export [type] { a, b as c } [from 'SPEC']
      p.i += p.is('{', 1) ? 2 : 3;
      const names = [];
      while (!p.is('}')) {
        if (p.is('type') && p.peek(1) && p.peek(1).t === 'id') p.next();
        const local = p.next().v;
        let name = local;
        if (p.is('as')) {
          p.next();
          name = p.next().v;
        }
        names.push([local, name]);
        if (p.is(',')) p.next();
      }
      p.expect('}');
      let from = null;
      if (p.is('from')) {
        p.next();
        from = p.next().v;
      }
      if (p.is(';')) p.next();
      for (const [local, name] of names) {
        if (from) decl.imports.set(`${from}#${local}`, { from, name: local });
        decl.exported.set(name, from ? `${from}#${local}` : local);
      }
      continue;
    }
    if (p.is('import') && p.is('{', 1)) {
      p.next();
      p.next();
      const names = [];
      while (!p.is('}')) {
        const name = p.next().v;
        let local = name;
        if (p.is('as')) {
          p.next();
          local = p.next().v;
        }
        names.push([local, name]);
        if (p.is(',')) p.next();
      }
      p.expect('}');
      p.expect('from');
      const from = p.next().v;
      if (p.is(';')) p.next();
      for (const [local, name] of names) decl.imports.set(local, { from, name });
      continue;
    }
    if (p.is('export') && p.is('{', 1)) {
      p.next();
      p.next();
      while (!p.is('}')) {
        const local = p.next().v;
        let name = local;
        if (p.is('as')) {
          p.next();
          name = p.next().v;
        }
        decl.exported.set(name, local);
        if (p.is(',')) p.next();
      }
      p.expect('}');
      if (p.is(';')) p.next();
      continue;
    }
    let k = 0;
    if (p.is('export', k)) k++;
    if (p.is('declare', k)) k++;
    if (p.is('enum', k)) {
      // Its members are values: any of them is a leaf here.
      p.i += k + 1;
      const name = p.next().v;
      p.skipStatement();
      decl.locals.set(name, { kind: 'prim' });
      decl.exported.set(name, name);
      continue;
    }
    if (p.is('interface', k)) {
      p.i += k + 1;
      const name = p.next().v;
      if (p.is('<')) p.skipGenerics();
      const bases = [];
      if (p.is('extends')) {
        p.next();
        while (!p.is('{')) {
          bases.push(p.type());
          if (p.is(',')) p.next();
        }
      }
      p.expect('{');
      const body = p.objectBody();
      decl.locals.set(name, { kind: 'object', props: body.props, index: body.index, bases });
      decl.exported.set(name, name);
      continue;
    }
    if (p.is('type', k) && p.peek(k + 1) && p.peek(k + 1).t === 'id') {
      p.i += k + 1;
      const name = p.next().v;
      p.expect('=');
      decl.locals.set(name, p.type());
      decl.exported.set(name, name);
      if (p.is(';')) p.next();
      continue;
    }
    p.skipStatement();
  }
  return decl;
}

function declarationFile(fromFile, spec) {
  if (spec.startsWith('.')) return path.resolve(path.dirname(fromFile), spec) + '.d.ts';
  const js = req.resolve(spec);
  if (js.endsWith('.js')) return js.replace(/\.js$/, '.d.ts');
  // A package whose declarations live apart from its code (package.json "types").
  const pkgFile = req.resolve(`${spec}/package.json`);
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  return path.join(path.dirname(pkgFile), pkg.types || pkg.typings);
}

// Resolves a named type as seen from a declaration file to {type, decl}.
function resolveName(decl, name) {
  if (name === 'TypeMeta')
    return {
      type: { kind: 'object', props: { apiVersion: { kind: 'prim' }, kind: { kind: 'prim' } } },
      decl,
    };
  if (decl.locals.has(name)) return { type: decl.locals.get(name), decl };
  const dot = name.indexOf('.');
  if (dot > 0 && !decl.imports.has(name)) {
    const [space, member] = [name.slice(0, dot), name.slice(dot + 1)];
    if (decl.namespaces.has(space)) {
      const file = declarationFile(decl.file, decl.namespaces.get(space));
      return resolveExport(loadDeclarations(file), member);
    }
    // An enum's member
    return { type: { kind: 'prim' }, decl };
  }
  const imp = decl.imports.get(name);
  if (!imp) throw new Error(`${path.basename(decl.file)}: type ${name} not found`);
  return resolveExport(loadDeclarations(declarationFile(decl.file, imp.from)), imp.name);
}

// What a declaration file exports as NAME, its own or through `export * from`.
function resolveExport(target, name) {
  const local = target.exported.get(name);
  if (local) return resolveName(target, local);
  for (const spec of target.stars) {
    const from = loadDeclarations(declarationFile(target.file, spec));
    if (exportsName(from, name, new Set())) return resolveExport(from, name);
  }
  throw new Error(`${path.basename(target.file)} doesn't export ${name}`);
}

function exportsName(decl, name, seen) {
  if (seen.has(decl.file)) return false;
  seen.add(decl.file);
  if (decl.exported.has(name)) return true;
  return decl.stars.some((spec) =>
    exportsName(loadDeclarations(declarationFile(decl.file, spec)), name, seen),
  );
}

// Follows references to an object, array, union or leaf.
function concrete(type, decl) {
  while (type.kind === 'ref') ({ type, decl } = resolveName(decl, type.name));
  return { type, decl };
}


// Collects the fields of VALUE that TYPE doesn't know.
function unknownFields(value, type, decl, where, out) {
  ({ type, decl } = concrete(type, decl));
  if (type.kind === 'array') {
    if (Array.isArray(value))
      value.forEach((v, i) => unknownFields(v, type.of, decl, `${where}[${i}]`, out));
  } else if (type.kind === 'union') {
    const shaped = type.of
      .map((t) => concrete(t, decl))
      .filter((c) => (Array.isArray(value) ? c.type.kind === 'array' : c.type.kind === 'object'));
    if (shaped.length === 0 || value === null || typeof value !== 'object') return;
    // Accepted when one of the union's shapes knows every field.
    let best = null;
    for (const c of shaped) {
      const found = [];
      unknownFields(value, c.type, c.decl, where, found);
      if (best === null || found.length < best.length) best = found;
    }
    out.push(...best);
  } else if (type.kind === 'object') {
    if (!isObject(value)) return;
    const props = ownAndInherited(type, decl, {});
    for (const [key, v] of Object.entries(value)) {
      if (props[key]) unknownFields(v, props[key].type, props[key].decl, `${where}.${key}`, out);
      else if (type.index) unknownFields(v, type.index, decl, `${where}.${key}`, out);
      else out.push(`${where}.${key}`);
    }
  }
}

// An interface's members with those of its bases (and theirs), each with the declaration
// file its type is to be read in.
function ownAndInherited(type, decl, into) {
  for (const base of type.bases || []) {
    const b = concrete(base, decl);
    if (b.type.kind === 'object') ownAndInherited(b.type, b.decl, into);
  }
  for (const [key, t] of Object.entries(type.props || {})) into[key] = { type: t, decl };
  return into;
}

// ---------------------------------------------------------------------------
// Kinds

function modelModule(apiVersion, kind) {
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return null;
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const candidates = group
    ? [
        `kubernetes-models/${group}/${version}/${kind}`,
        `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`,
        `@kubernetes-models/keda/${group}/${version}/${kind}`,
      ]
    : [`kubernetes-models/${version}/${kind}`];
  for (const c of candidates) {
    let file;
    try {
      file = req.resolve(c);
    } catch (e) {
      continue;
    }
    return { file, Model: req(c)[kind] };
  }
  return null;
}

// Custom resources whose project serves only a pre-GA version, as its stable API (the
// chart's examples use them; they are not Kubernetes' own alpha or beta APIs).
const STABLE_PREVIEW_APIS = {
  'keda.sh/v1alpha1': "KEDA's only version of ScaledObject",
};

function schemaCheck(doc, label) {
  // Alpha and beta APIs come and go (extensions/v1beta1 DaemonSets are gone since 1.16):
  // the chart promises Kubernetes 1.22 and later, so only GA versions.
  if (STABLE_PREVIEW_APIS[doc.apiVersion])
    ok(`${label}: ${doc.apiVersion}, ${STABLE_PREVIEW_APIS[doc.apiVersion]}`);
  else
    check(
      `${label}: GA apiVersion`,
      typeof doc.apiVersion === 'string' && !/v[0-9]+(alpha|beta)[0-9]*$/.test(doc.apiVersion),
      doc.apiVersion,
    );
  const model = modelModule(doc.apiVersion, doc.kind);
  if (!model || typeof model.Model !== 'function') {
    fail(`${label}: unknown kind ${doc.apiVersion}/${doc.kind} (no schema)`);
    return;
  }
  try {
    new model.Model(doc).validate();
    ok(`${label}: valid ${doc.apiVersion} ${doc.kind}`);
  } catch (e) {
    fail(`${label}: ${doc.apiVersion} ${doc.kind} fails its schema: ${e.message}`);
  }
  const decl = loadDeclarations(model.file.replace(/\.js$/, '.d.ts'));
  const unknown = [];
  unknownFields(doc, { kind: 'ref', name: `I${doc.kind}` }, decl, doc.kind, unknown);
  check(`${label}: no unknown fields`, unknown.length === 0, unknown.join(', '));
}

// ---------------------------------------------------------------------------
// The chart's facts, from EXPECT.json

function walkAll(value, visit, where = '') {
  if (Array.isArray(value)) value.forEach((v, i) => walkAll(v, visit, `${where}[${i}]`));
  else if (isObject(value))
    for (const [k, v] of Object.entries(value)) {
      visit(k, v, `${where}.${k}`);
      walkAll(v, visit, `${where}.${k}`);
    }
}

// The containerPort a probe or Service targetPort names (by name or number).
function portNumber(container, port) {
  if (typeof port === 'number') return port;
  const p = (container.ports || []).find((x) => x.name === port);
  return p ? p.containerPort : undefined;
}

function chartFacts(docs, x) {
  const kinds = docs.map((d) => d.kind).sort();
  check(
    'objects rendered',
    sameJson(kinds, [...x.kinds].sort()),
    `${show(kinds)}, expected ${show(x.kinds)}`,
  );

  const privileged = [];
  walkAll(docs, (k, v, where) => {
    if (k === 'privileged' && v === true) privileged.push(where);
  });
  check('nothing privileged: true', privileged.length === 0, privileged.join(', '));
  for (const d of docs) {
    // Both may live where the operator or Grafana's sidecar looks: checked on their own.
    if (d.metadata && d.kind !== 'ServiceMonitor' && d.kind !== 'PrometheusRule' &&
        d.kind !== 'ConfigMap')
      check(
        `${d.kind} in namespace ${x.namespace}`,
        d.metadata.namespace === x.namespace,
        d.metadata.namespace,
      );
  }

  const ds = docs.find((d) => d.kind === 'DaemonSet');
  if (!ds) return fail('no DaemonSet');
  const pod = ds.spec.template.spec;
  const labels = ds.spec.template.metadata.labels || {};
  check(
    'selector matches the pod labels',
    Object.entries(ds.spec.selector.matchLabels).every(([k, v]) => labels[k] === v),
  );
  check(
    `hostPID ${x.hostPID ? 'true' : 'false or absent'}`,
    Boolean(pod.hostPID) === x.hostPID,
    show(pod.hostPID),
  );
  check('hostIPC false or absent', !pod.hostIPC);
  check(
    `hostNetwork ${x.hostNetwork}`,
    Boolean(pod.hostNetwork) === x.hostNetwork,
    show(pod.hostNetwork),
  );
  if (x.hostNetwork)
    check(
      'dnsPolicy ClusterFirstWithHostNet',
      pod.dnsPolicy === 'ClusterFirstWithHostNet',
      pod.dnsPolicy,
    );
  check(
    `priorityClassName ${x.priorityClassName}`,
    pod.priorityClassName === x.priorityClassName,
    show(pod.priorityClassName),
  );
  check(
    'tolerations as configured',
    sameJson(pod.tolerations, x.tolerations),
    show(pod.tolerations),
  );
  check(
    'nodeSelector kubernetes.io/os: linux',
    (pod.nodeSelector || {})['kubernetes.io/os'] === 'linux',
  );
  check('no service account token in the pod', pod.automountServiceAccountToken === false);
  check('RollingUpdate', ds.spec.updateStrategy && ds.spec.updateStrategy.type === 'RollingUpdate');
  check('terminationGracePeriodSeconds set', Number.isInteger(pod.terminationGracePeriodSeconds));

  check('one container', pod.containers.length === 1, pod.containers.length);
  check('no init containers', !pod.initContainers);
  const c = pod.containers[0];
  const sc = c.securityContext || {};
  check('container privileged: false', sc.privileged === false, show(sc.privileged));
  check(
    'allowPrivilegeEscalation: false',
    sc.allowPrivilegeEscalation === false,
    show(sc.allowPrivilegeEscalation),
  );
  check(
    'readOnlyRootFilesystem: true',
    sc.readOnlyRootFilesystem === true,
    show(sc.readOnlyRootFilesystem),
  );
  check('runAsUser: 0, runAsNonRoot: false', sc.runAsUser === 0 && sc.runAsNonRoot === false);
  const caps = sc.capabilities || {};
  check('capabilities drop exactly [ALL]', sameJson(caps.drop, ['ALL']), show(caps.drop));
  check(
    `capabilities add exactly ${show(x.capabilities)}`,
    sameJson(caps.add || [], x.capabilities),
    show(caps.add),
  );
  check(
    'no pod-level capabilities or privileged settings',
    !pod.securityContext || !('privileged' in pod.securityContext),
  );
  check(
    `seccompProfile ${x.seccomp}`,
    sc.seccompProfile && sc.seccompProfile.type === x.seccomp,
    show(sc.seccompProfile),
  );

  // Arguments
  const args = c.args || [];
  const after = (flag) => (args.indexOf(flag) >= 0 ? args[args.indexOf(flag) + 1] : undefined);
  check('runs `memsight run`', args[0] === 'run', show(args[0]));
  check(`--listen ${x.listen}`, after('--listen') === x.listen, show(after('--listen')));
  check(
    `--host-root ${x.hostRoot}`,
    after('--host-root') === x.hostRoot,
    show(after('--host-root')),
  );
  for (const [flag, value] of Object.entries(x.args)) {
    if (value === null) check(`no ${flag}`, !args.includes(flag), show(args));
    else if (value === true) check(`${flag} given`, args.includes(flag), show(args));
    else check(`${flag} ${value}`, after(flag) === value, show(after(flag)));
  }
  if (x.extraArgs.length)
    check(
      'extraArgs last, in order',
      sameJson(args.slice(-x.extraArgs.length), x.extraArgs),
      show(args),
    );
  check(
    'every argument a string',
    args.every((a) => typeof a === 'string'),
  );
  const env = (c.env || []).find((e) => e.name === 'NODE_NAME');
  check(
    'NODE_NAME from spec.nodeName',
    env &&
      env.valueFrom &&
      env.valueFrom.fieldRef &&
      env.valueFrom.fieldRef.fieldPath === 'spec.nodeName',
  );

  // One port for everything
  const ports = c.ports || [];
  const metricsPort = ports.find((p) => p.name === 'metrics');
  check(
    `containerPort metrics ${x.port}`,
    metricsPort && metricsPort.containerPort === x.port,
    show(ports),
  );
  check(
    `listen port is the containerPort`,
    x.listen.endsWith(`:${metricsPort && metricsPort.containerPort}`),
  );
  if (x.hostNetwork)
    check('hostPort = containerPort', metricsPort && metricsPort.hostPort === x.port);
  else
    check(
      'no hostPort',
      ports.every((p) => p.hostPort === undefined),
      show(ports),
    );
  for (const [probe, wanted] of [
    ['startupProbe', '/healthz'],
    ['livenessProbe', '/healthz'],
    ['readinessProbe', '/readyz'],
  ]) {
    const g = c[probe] && c[probe].httpGet;
    check(
      `${probe} GET ${wanted} on ${x.port}`,
      g && g.path === wanted && portNumber(c, g.port) === x.port,
      show(c[probe]),
    );
  }

  // Resources
  const res = c.resources || {};
  check(
    'memory request and limit set',
    res.requests && res.requests.memory && res.limits && res.limits.memory,
  );
  if (x.cpuLimit === false)
    check('no CPU limit', !(res.limits && res.limits.cpu), show(res.limits));

  // Host mounts: all read-only, exactly the expected ones
  const volumes = new Map((pod.volumes || []).map((v) => [v.name, v]));
  const hostMounts = {};
  const orphans = (c.volumeMounts || [])
    .filter((m) => !volumes.has(m.name))
    .map((m) => m.mountPath);
  check('every mount has its volume', orphans.length === 0, orphans.join(', '));
  for (const m of c.volumeMounts || []) {
    const v = volumes.get(m.name);
    if (!v || !v.hostPath) continue;
    hostMounts[m.mountPath] = v.hostPath.path;
    const rro = x.recursiveReadOnly ? `, recursiveReadOnly ${x.recursiveReadOnly}` : '';
    check(
      `host ${v.hostPath.path} read-only at ${m.mountPath}${rro}`,
      m.readOnly === true &&
        (m.recursiveReadOnly || null) === x.recursiveReadOnly &&
        (m.mountPropagation === undefined || m.mountPropagation === 'None'),
      show(m),
    );
  }
  check(
    'host mounts exactly as expected',
    sameJson(hostMounts, x.hostMounts),
    `${show(hostMounts)}, expected ${show(x.hostMounts)}`,
  );
  const mounted = new Set((c.volumeMounts || []).map((m) => m.name));
  check(
    'every volume mounted',
    [...volumes.keys()].every((n) => mounted.has(n)),
  );
  check(
    'no host / mounted',
    Object.values(hostMounts).every((p) => p !== '/'),
  );
  check(
    'no runtime socket mounted',
    Object.values(hostMounts).every(
      (p) => !/\.sock$|\/run\/crio$|\/run\/containerd$|\/var\/run\/docker/.test(p),
    ),
  );

  // Service and ServiceMonitor
  const svc = docs.find((d) => d.kind === 'Service');
  if (svc) {
    const sp = svc.spec.ports.find((p) => p.name === 'metrics');
    check('Service headless', svc.spec.clusterIP === 'None', show(svc.spec.clusterIP));
    check(`Service port metrics ${x.port}`, sp && sp.port === x.port, show(svc.spec.ports));
    check(
      'Service targetPort is the containerPort',
      sp && portNumber(c, sp.targetPort) === x.port,
      show(sp),
    );
    check(
      'Service selects the pods',
      Object.entries(svc.spec.selector).every(([k, v]) => labels[k] === v),
    );
    const ann = svc.metadata.annotations || {};
    if (x.prometheusAnnotations)
      check(
        'prometheus.io annotations',
        ann['prometheus.io/scrape'] === 'true' &&
          ann['prometheus.io/port'] === String(x.port) &&
          ann['prometheus.io/path'] === '/metrics',
        show(ann),
      );
    else
      check(
        'no prometheus.io annotations',
        !Object.keys(ann).some((k) => k.startsWith('prometheus.io/')),
        show(ann),
      );
  }
  const sa = docs.find((d) => d.kind === 'ServiceAccount');
  if (sa) {
    check('ServiceAccount used by the pods', pod.serviceAccountName === sa.metadata.name);
    check(
      'ServiceAccount automountServiceAccountToken: false',
      sa.automountServiceAccountToken === false,
    );
  }
  const sm = docs.find((d) => d.kind === 'ServiceMonitor');
  check(
    `ServiceMonitor ${x.serviceMonitor ? 'rendered' : 'absent'}`,
    Boolean(sm) === Boolean(x.serviceMonitor),
  );
  if (sm && x.serviceMonitor && svc) {
    const ep = sm.spec.endpoints;
    check(
      'ServiceMonitor scrapes the Service port metrics',
      ep.length === 1 && ep[0].port === 'metrics' && ep[0].path === '/metrics',
      show(ep),
    );
    check(
      'ServiceMonitor selects the Service',
      Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => svc.metadata.labels[k] === v),
    );
    check(
      'ServiceMonitor looks in the Service namespace',
      sameJson(sm.spec.namespaceSelector.matchNames, [svc.metadata.namespace]),
    );
    check(
      `ServiceMonitor interval ${x.serviceMonitor.interval}`,
      ep[0].interval === x.serviceMonitor.interval,
      show(ep[0].interval),
    );
    check('ServiceMonitor honorLabels', ep[0].honorLabels === true);
    for (const [k, v] of Object.entries(x.serviceMonitor.labels))
      check(`ServiceMonitor label ${k}=${v}`, sm.metadata.labels[k] === v);
  }
  prometheusRuleFacts(docs, x);
}

// The PrometheusRule's object and the shape of its alerts (tests/chart/rules.js compares
// the rules themselves with the plain rules file; promtool checks and tests them).
function prometheusRuleFacts(docs, x) {
  const pr = docs.find((d) => d.kind === 'PrometheusRule');
  const want = x.prometheusRule;
  check(`PrometheusRule ${want ? 'rendered' : 'absent'}`, Boolean(pr) === Boolean(want));
  if (!pr || !want) return;
  const namespace = want.namespace || x.namespace;
  check(
    `PrometheusRule in namespace ${namespace}`,
    pr.metadata.namespace === namespace,
    show(pr.metadata.namespace),
  );
  for (const [k, v] of Object.entries(want.labels || {}))
    check(`PrometheusRule label ${k}=${v}`, pr.metadata.labels[k] === v, show(pr.metadata.labels));
  for (const [k, v] of Object.entries(want.annotations || {}))
    check(
      `PrometheusRule annotation ${k}=${v}`,
      (pr.metadata.annotations || {})[k] === v,
      show(pr.metadata.annotations),
    );
  const groups = pr.spec.groups || [];
  if (want.interval)
    check(
      `every rule group evaluated every ${want.interval}`,
      groups.every((g) => g.interval === want.interval),
      show(groups.map((g) => g.interval)),
    );
  const rules = groups.flatMap((g) => g.rules || []);
  check(
    `alerts exactly ${want.alerts.join(', ')}`,
    sameJson(rules.map((r) => r.alert).sort(), [...want.alerts].sort()),
    show(rules.map((r) => r.alert)),
  );
  for (const r of rules) {
    const labels = r.labels || {};
    const notes = r.annotations || {};
    check(
      `${r.alert}: severity critical, warning or info`,
      ['critical', 'warning', 'info'].includes(labels.severity),
      show(labels.severity),
    );
    for (const [k, v] of Object.entries(want.alertLabels || {}))
      if (k !== 'severity') check(`${r.alert}: label ${k}=${v}`, labels[k] === v, show(labels));
    check(
      `${r.alert}: summary, description and runbook_url`,
      ['summary', 'description', 'runbook_url'].every(
        (k) => typeof notes[k] === 'string' && notes[k] !== '',
      ),
      show(Object.keys(notes)),
    );
    if (want.runbookUrl)
      check(
        `${r.alert}: runbook_url in ${want.runbookUrl}`,
        notes.runbook_url === `${want.runbookUrl}#${r.alert.toLowerCase()}`,
        show(notes.runbook_url),
      );
  }
}

// The Grafana dashboard's ConfigMap (grafanaDashboard.enabled): where the sidecar finds
// it, and the repository's dashboard JSON in it byte for byte.
const DASHBOARD_FILE = path.join(ROOT, 'helm', 'memsight', 'files', 'memsight-dashboard.json');

function dashboardFacts(docs, x) {
  const maps = docs.filter((d) => d.kind === 'ConfigMap');
  check(
    `dashboard ConfigMap ${x ? 'rendered' : 'absent'}`,
    maps.length === (x ? 1 : 0),
    maps.length,
  );
  if (!x || maps.length !== 1) return;
  const cm = maps[0];
  const labels = cm.metadata.labels || {};
  check(
    `dashboard ConfigMap in namespace ${x.namespace}`,
    cm.metadata.namespace === x.namespace,
    cm.metadata.namespace,
  );
  check(
    `dashboard ConfigMap labelled ${x.label}: "${x.labelValue}" for the sidecar`,
    labels[x.label] === x.labelValue,
    show(labels),
  );
  check(
    "dashboard ConfigMap has the chart's labels",
    labels['app.kubernetes.io/name'] === 'memsight' &&
      labels['app.kubernetes.io/part-of'] === 'memsight',
  );
  for (const [k, v] of Object.entries(x.labels || {}))
    check(`dashboard ConfigMap label ${k}=${v}`, labels[k] === v, show(labels[k]));
  check(
    `dashboard ConfigMap annotations exactly ${show(x.annotations || {})}`,
    sameJson(cm.metadata.annotations || {}, x.annotations || {}),
    show(cm.metadata.annotations),
  );
  const data = cm.data || {};
  check(
    'dashboard ConfigMap holds one file, memsight-dashboard.json',
    sameJson(Object.keys(data), ['memsight-dashboard.json']) && !cm.binaryData,
    show(Object.keys(data)),
  );
  const repo = fs.readFileSync(DASHBOARD_FILE, 'utf8');
  const got = data['memsight-dashboard.json'];
  let at = 0;
  const common = typeof got === 'string' ? Math.min(got.length, repo.length) : 0;
  while (at < common && got[at] === repo[at]) at++;
  check(
    "dashboard ConfigMap's JSON is exactly the repository's " +
      path.relative(ROOT, DASHBOARD_FILE),
    got === repo,
    typeof got !== 'string'
      ? show(got)
      : `${got.length} characters against ${repo.length}, ` +
        `first difference at ${at}: ${show(got.slice(at, at + 40))}`,
  );
}

// ---------------------------------------------------------------------------


function main(argv) {
  if (argv[0] === '--notes') {
    const doc = readDocs(argv[1]).find((d) => d.kind === 'RenderedNotes');
    process.stdout.write(doc ? doc.text : '');
    return 0;
  }
  const [file, ...expectFiles] = argv;
  if (!file) {
    process.stderr.write('usage: validate.js RENDERED.yaml [EXPECT.json [MORE.json...]]\n');
    return 2;
  }
  const docs = readDocs(file);
  check('the rendering has objects', docs.length > 0);
  for (const d of docs) {
    const label = `${d.kind || '?'} ${(d.metadata && d.metadata.name) || '?'}`;
    if (!isObject(d)) fail(`${label}: not an object`);
    else schemaCheck(d, label);
  }
  if (expectFiles.length) {
    const x = Object.assign(
      {},
      ...expectFiles.map((f) => JSON.parse(fs.readFileSync(f, 'utf8'))),
    );
    chartFacts(docs, x);
    dashboardFacts(docs, x.grafanaDashboard || false);
  }
  return exitStatus();
}

// dashboard.js reads Grafana's schema declarations with the same reader.
module.exports = { loadDeclarations, unknownFields, resolveExport, declarationFile };

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.log(`  FAIL validate.js: ${e.stack}`);
    process.exitCode = 1;
  }
}
