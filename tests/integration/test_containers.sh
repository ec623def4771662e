#!/bin/bash
# Container attribution end to end: real containers are OOM-killed and their oom_kill
# lines must name them as their runtimes do.
#  - docker: dockerd started here if needed, an image built locally from busybox-static
#    (no registry is reachable), `docker run -m 32m --name ...`.
#  - Kubernetes-shaped: real runc containers at kubelet cgroupfs paths, their OCI bundles
#    laid out and annotated as containerd's CRI plugin and CRI-O write them. The bundle
#    is deleted before the kill, as a runtime does when a task ends: the names must come
#    from what memsight read when the container's cgroup appeared.
source "$(dirname "$0")/lib.sh"

MIB=$((1 << 20))
POD_UID=7e3a1f00-1111-4222-8333-944455556666

# --- docker ---------------------------------------------------------------------------
docker_case() {
	local name="memsight-test-$$" out="$WORK/docker.json" id line
	echo "docker run -m 32m --name $name"
	if ! ensure_dockerd; then
		not_ok "dockerd started (log: $(tail -3 "$WORK/dockerd.log" 2>/dev/null))"
		return
	fi
	check "image built from busybox-static" build_hog_image

	"$MEMSIGHT" stream --interval 200ms --cgroup / >"$out" 2>"$out.err" &
	MEMSIGHT_PID=$!
	BG_PIDS+=("$MEMSIGHT_PID")
	wait_for 20 grep -q agent_stats "$out"
	$DOCKER run -m 32m --memory-swap 32m --network none --name "$name" memsight-test-hog --comm dockerhog >/dev/null 2>&1
	expect_eq "container exited 137 (killed)" $? 137
	id=$($DOCKER inspect -f '{{.Id}}' "$name")
	check "docker says it was OOM-killed" sh -c "[ \"\$($DOCKER inspect -f '{{.State.OOMKilled}}' $name)\" = true ]"
	wait_for 10 sh -c "grep '\"type\":\"oom_kill\"' '$out' | grep -q '$id'"
	stop_memsight
	line=$(grep '"type":"oom_kill"' "$out" | grep "$id" | head -1)
	expect_eq "container.id is docker's full id" "$(jq -r .container.id <<<"$line")" "$id"
	expect_eq "container.name" "$(jq -r .container.name <<<"$line")" "$name"
	expect_eq "container.runtime" "$(jq -r .container.runtime <<<"$line")" docker
	expect_eq "victim.comm" "$(jq -r .victim.comm <<<"$line")" dockerhog
	expect_eq "memcg.limit_bytes is the -m limit" "$(jq -r .memcg.limit_bytes <<<"$line")" $((32 * MIB))
	check_jq_line "cgroup.path ends with the id" ".cgroup.path | endswith(\"$id\")" "$line"
	$DOCKER rm -f "$name" >/dev/null 2>&1
}

# --- podman ------------------------------------------------------------------------------
podman_case() {
	local name="memsight-test-pod-$$" out="$WORK/podman.json" id line
	echo "podman run -m 32m --name $name"
	make_rootfs "$WORK/podman-image"
	printf 'FROM scratch\nCOPY . /\nENTRYPOINT ["/hog"]\n' >"$WORK/podman-image/Dockerfile"
	# cgroupfs: no systemd here. Lower rlimits only: raising podman's defaults needs
	# CAP_SYS_RESOURCE, which this machine doesn't grant.
	local podman="podman --cgroup-manager cgroupfs"
	check "podman image built from busybox-static" sh -c "$podman build -q -t memsight-test-hog '$WORK/podman-image' >/dev/null 2>&1"
	"$MEMSIGHT" stream --interval 200ms --cgroup / >"$out" 2>"$out.err" &
	MEMSIGHT_PID=$!
	BG_PIDS+=("$MEMSIGHT_PID")
	wait_for 20 grep -q agent_stats "$out"
	$podman run --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 -m 32m --memory-swap 32m \
		--network none --name "$name" localhost/memsight-test-hog --comm podhog >/dev/null 2>"$WORK/podman.err"
	expect_eq "container exited 137 (killed)" $? 137
	id=$($podman inspect -f '{{.Id}}' "$name")
	wait_for 10 sh -c "grep '\"type\":\"oom_kill\"' '$out' | grep -q '$id'"
	stop_memsight
	line=$(grep '"type":"oom_kill"' "$out" | grep "$id" | head -1)
	expect_eq "container.id is podman's full id" "$(jq -r .container.id <<<"$line")" "$id"
	expect_eq "container.name" "$(jq -r .container.name <<<"$line")" "$name"
	expect_eq "container.runtime" "$(jq -r .container.runtime <<<"$line")" podman
	expect_eq "container.image" "$(jq -r .container.image <<<"$line")" localhost/memsight-test-hog:latest
	$podman rm -f "$name" >/dev/null 2>&1
}

# --- Kubernetes-shaped, through runc ----------------------------------------------------
# kube_case RUNTIME: containerd or cri-o
kube_case() {
	local runtime=$1 id state bundle cgname rel line out="$WORK/kube-$1.json" config
	id=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	if [ "$runtime" == containerd ]; then
		state="$WORK/containerd-state"
		bundle="$state/k8s.io/$id"
		cgname=$id # the kubelet's cgroupfs driver: the bare id
	else
		state="$WORK/crio-state"
		bundle="$state/$id/userdata"
		cgname="crio-$id" # CRI-O names its cgroup crio-<id> with either cgroup manager
	fi
	rel="kubepods/burstable/pod$POD_UID/$cgname"
	echo "Kubernetes pod through runc, laid out as $runtime writes it"
	mkdir -p "$bundle"
	make_rootfs "$bundle/rootfs"
	(cd "$bundle" && runc spec)
	config=$(jq --arg cg "$PREFIX/$rel" --arg id "$id" --arg uid "$POD_UID" --arg rt "$runtime" '
		.process.args = ["/hog", "--comm", "worker", "--delay-ms", "1500"]
		| .process.terminal = false
		| .root.readonly = false
		| .linux.cgroupsPath = $cg
		| .linux.resources.memory = { "limit": 33554432, "swap": 33554432 }
		| .annotations = (if $rt == "containerd" then {
			"io.kubernetes.cri.container-type": "container",
			"io.kubernetes.cri.container-name": "worker",
			"io.kubernetes.cri.sandbox-name": "batch-job-5x9zq",
			"io.kubernetes.cri.sandbox-namespace": "jobs",
			"io.kubernetes.cri.sandbox-uid": $uid,
			"io.kubernetes.cri.image-name": "registry.example/jobs/worker:2.0"
		} else {
			"io.container.manager": "cri-o",
			"io.kubernetes.cri-o.ContainerType": "container",
			"io.kubernetes.cri-o.ContainerID": $id,
			"io.kubernetes.cri-o.Labels": ({
				"io.kubernetes.container.name": "worker",
				"io.kubernetes.pod.name": "batch-job-5x9zq",
				"io.kubernetes.pod.namespace": "jobs",
				"io.kubernetes.pod.uid": $uid
			} | tojson),
			"io.kubernetes.cri-o.ImageName": "registry.example/jobs/worker:2.0"
		} end)' "$bundle/config.json")
	printf '%s\n' "$config" >"$bundle/config.json"

	start_memsight "$out" --"$([ "$runtime" == containerd ] && echo containerd-state || echo crio-state)" "$state" || return
	runc --root "$WORK/runc" run -b "$bundle" "$id" >/dev/null 2>&1 &
	local runc_pid=$!
	BG_PIDS+=("$runc_pid")
	# The container is up once its cgroup holds a process; then its bundle goes away.
	wait_for 10 sh -c "test -s '$MEMCG_ROOT$PREFIX/$rel/cgroup.procs'"
	rm -rf "$bundle/config.json"
	reap "$runc_pid"
	expect_eq "runc container exited 137 (killed)" "$REAPED_STATUS" 137
	wait_for 10 grep -q '"type":"oom_kill"' "$out"
	stop_memsight
	line=$(grep '"type":"oom_kill"' "$out" | head -1)
	expect_eq "cgroup.path" "$(jq -r .cgroup.path <<<"$line")" "$PREFIX/$rel"
	expect_eq "container.runtime" "$(jq -r .container.runtime <<<"$line")" "$runtime"
	expect_eq "container.id" "$(jq -r .container.id <<<"$line")" "$id"
	expect_eq "container.name" "$(jq -r .container.name <<<"$line")" worker
	expect_eq "container.pod" "$(jq -r .container.pod <<<"$line")" batch-job-5x9zq
	expect_eq "container.namespace" "$(jq -r .container.namespace <<<"$line")" jobs
	expect_eq "container.pod_uid" "$(jq -r .container.pod_uid <<<"$line")" "$POD_UID"
	expect_eq "container.qos" "$(jq -r .container.qos <<<"$line")" Burstable
	expect_eq "trigger.container.name (the victim killed itself)" "$(jq -r .trigger.container.name <<<"$line")" worker
	runc --root "$WORK/runc" delete -f "$id" >/dev/null 2>&1
}

# --- hostile runtime files ---------------------------------------------------------------
# The event goes out with the cgroup path and whatever could be read, whatever the files hold,
# and agent_stats counts why no name came out (containers.state_errors_total).
# symlink-*: --host-root DIR, the bundle's config.json a link out of DIR to a config naming
# LEAKED (absolute, then ../.. past DIR's top): it resolves inside DIR, where there is none.
hostile_case() {
	local kind=$1 id state bundle rel line out="$WORK/hostile-$1.json" dir pid root_args error
	id=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	state="$WORK/hostile-$kind"
	root_args=(--containerd-state "$state")
	if [[ $kind == symlink-* ]]; then
		state="$WORK/host-$kind/run/containerd/io.containerd.runtime.v2.task"
		root_args=(--host-root "$WORK/host-$kind")
		mkdir -p "$WORK/outside"
		printf '{"annotations":{"io.kubernetes.cri.container-name":"LEAKED"}}' >"$WORK/outside/config.json"
	fi
	bundle="$state/k8s.io/$id"
	rel="kubepods/besteffort/pod$POD_UID/$id"
	echo "runtime file: $kind"
	mkdir -p "$bundle"
	case $kind in
	truncated) printf '{"annotations":{"io.kubernetes.cri.container-name":"wor' >"$bundle/config.json" ;;
	huge) { printf '{"annotations":{"io.kubernetes.cri.container-name":"big"},"pad":"'; head -c $((2 * MIB)) /dev/zero | tr '\0' x; printf '"}'; } >"$bundle/config.json" ;;
	fifo) mkfifo "$bundle/config.json" ;;
	unreadable) printf '{"annotations":{}}' >"$bundle/config.json" && chmod 000 "$bundle" ;;
	symlink-absolute) ln -s "$WORK/outside/config.json" "$bundle/config.json" ;;
	symlink-up) ln -s ../../../../../../outside/config.json "$bundle/config.json" ;; # to $WORK/outside
	escapes) printf '{"annotations":{"io.kubernetes.cri.container-name":"a\\"b\\\\c\\n\\u001b\\u0000z","io.kubernetes.cri.sandbox-name":"\\ud800"}}' >"$bundle/config.json" ;;
	esac
	dir=$(make_memcg "$rel" $((32 * MIB)))
	start_memsight "$out" "${root_args[@]}" || return
	spawn_in_memcg "$dir" "$HELPERS/hog" --comm hostile
	pid=$SPAWNED_PID
	reap "$pid"
	wait_for 10 grep -q '"type":"oom_kill"' "$out"
	check "memsight still running after reading it" kill -0 "$MEMSIGHT_PID"
	case $kind in
	truncated) error='.containerd.malformed' ;;
	huge) error='.containerd.too_large' ;;
	fifo) error='.containerd.refused' ;;
	unreadable) error='(.containerd.no_name // .containerd.permission)' ;; # root reads it anyway
	symlink-*) error='.unknown.not_found' ;;
	*) error='' ;;
	esac
	if [ -n "$error" ]; then
		check "agent_stats counts it: state_errors_total$error" wait_for 5 sh -c \
			"grep '\"type\":\"agent_stats\"' '$out' | tail -1 | jq -e '.containers.state_errors_total | $error >= 1' >/dev/null"
	fi
	stop_memsight
	line=$(grep '"type":"oom_kill"' "$out" | head -1)
	expect_eq "oom_kill line with the cgroup path" "$(jq -r .cgroup.path <<<"$line")" "$PREFIX/$rel"
	expect_eq "container.id from the path" "$(jq -r .container.id <<<"$line")" "$id"
	case $kind in
	escapes) expect_eq "hostile name escaped and parsed" "$(jq -j .container.name <<<"$line" | od -An -tx1 | tr -d ' \n')" 6122625c630a1b ;;
	*) expect_eq "container.name unknown" "$(jq -r .container.name <<<"$line")" null ;;
	esac
	chmod 755 "$bundle" 2>/dev/null
	rm -f "$bundle/config.json"
}

if command -v dockerd >/dev/null && [ -x $DOCKER ]; then
	docker_case
else
	not_ok "docker.io is not installed (make deps installs it)"
fi
if command -v podman >/dev/null; then
	podman_case
else
	not_ok "podman is not installed (make deps installs it)"
fi
kube_case containerd
kube_case cri-o
for kind in truncated huge fifo unreadable escapes symlink-absolute symlink-up; do hostile_case $kind; done
finish
