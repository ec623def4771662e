{{/* The chart's name, or nameOverride. */}}
{{- define "memsight.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's objects: fullnameOverride, else RELEASE-NAME, or just the
release name when it already contains the chart's name. 63 characters at most (DNS labels).
*/}}
{{- define "memsight.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* NAME-VERSION for the helm.sh/chart label. */}}
{{- define "memsight.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The labels that select the release's pods; they never change across upgrades. */}}
{{- define "memsight.selectorLabels" -}}
app.kubernetes.io/name: {{ include "memsight.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "memsight.labels" -}}
helm.sh/chart: {{ include "memsight.chart" . }}
{{ include "memsight.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/component: agent
app.kubernetes.io/part-of: memsight
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "memsight.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "memsight.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag, or repository@digest when a digest is given. */}}
{{- define "memsight.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
The host runtime state folders to mount, as a list of {name, hostPath, flag, value}:
hostPath is mounted read-only at hostRoot.mountPath + hostPath, and `flag value` tells
memsight the runtime's root (it puts --host-root in front). For docker and podman only
the subfolder memsight reads is mounted, not the whole data root.
*/}}
{{- define "memsight.runtimeMounts" -}}
{{- $r := .Values.hostRoot }}
{{- $out := list }}
{{- if $r.containerd.enabled }}
{{- $out = append $out (dict "name" "containerd-state" "hostPath" $r.containerd.state "flag" "--containerd-state" "value" $r.containerd.state) }}
{{- end }}
{{- if $r.crio.enabled }}
{{- $out = append $out (dict "name" "crio-state" "hostPath" $r.crio.state "flag" "--crio-state" "value" $r.crio.state) }}
{{- end }}
{{- if $r.docker.enabled }}
{{- $out = append $out (dict "name" "docker-containers" "hostPath" (printf "%s/containers" (trimSuffix "/" $r.docker.root)) "flag" "--docker-root" "value" $r.docker.root) }}
{{- end }}
{{- if $r.podman.enabled }}
{{- $out = append $out (dict "name" "podman-containers" "hostPath" (printf "%s/overlay-containers" (trimSuffix "/" $r.podman.storage)) "flag" "--podman-storage" "value" $r.podman.storage) }}
{{- end }}
{{- toJson $out }}
{{- end }}

{{/*
recursiveReadOnly for the host mounts: auto is IfPossible on Kubernetes 1.31+ (where the
field is on by default; a runtime that can't do it mounts non-recursively) and left out
before, where the API server would drop or refuse it.
*/}}
{{- define "memsight.recursiveReadOnly" -}}
{{- $v := .Values.recursiveReadOnly }}
{{- if eq $v "auto" }}
{{- if semverCompare ">=1.31.0-0" .Capabilities.KubeVersion.Version }}IfPossible{{ end }}
{{- else if ne $v "Disabled" }}
{{- $v }}
{{- end }}
{{- end }}

{{/* The kernel interfaces mounted at their own paths: {name, path}. */}}
{{- define "memsight.kernelMounts" -}}
{{- $out := list }}
{{- range $name := list "cgroup" "btf" "tracefs" }}
{{- with index $.Values.hostPaths $name }}
{{- $out = append $out (dict "name" (printf "host-%s" $name) "path" .) }}
{{- end }}
{{- end }}
{{- toJson $out }}
{{- end }}

{{/* `memsight run` and its options. */}}
{{- define "memsight.args" -}}
{{- $a := .Values.agent }}
{{- $args := list "run" "--listen" (printf "%s:%d" .Values.metrics.listenAddress (int .Values.metrics.port)) }}
{{- $args = concat $args (list "--host-root" .Values.hostRoot.mountPath) }}
{{- range include "memsight.runtimeMounts" . | fromJsonArray }}
{{- $args = concat $args (list .flag .value) }}
{{- end }}
{{- with $a.interval }}
{{- $args = concat $args (list "--interval" .) }}
{{- end }}
{{- with $a.cgroupPrefix }}
{{- $args = concat $args (list "--cgroup" .) }}
{{- end }}
{{- if gt (int $a.faultSamples) 0 }}
{{- $args = concat $args (list "--fault-samples" (toString (int $a.faultSamples))) }}
{{- end }}
{{- with $a.tombstone }}
{{- $args = concat $args (list "--tombstone" .) }}
{{- end }}
{{- if $a.verbose }}
{{- $args = append $args "-v" }}
{{- end }}
{{- $args = concat $args .Values.extraArgs }}
{{- toJson $args }}
{{- end }}
