#!/bin/bash
# The container image end to end: the Dockerfile is built with the local docker engine
# and the image is run the way the Helm chart's DaemonSet runs it, then a docker
# container is OOM-killed next to it and the agent's output must name that container.
#
# The DaemonSet's confinement: uid 0 with every capability dropped but CAP_BPF and
# CAP_PERFMON, no new privileges, the runtime's default seccomp profile (RuntimeDefault),
# a read-only root file system, its own pid namespace (no hostPID), and read-only mounts
# of /sys/fs/cgroup, /sys/kernel/btf, /sys/kernel/tracing and docker's containers folder
# (below /host, with --host-root /host). The agent's container is checked from the host
# for exactly that.
#
# The engine that runs the agent: docker when it knows CAP_BPF (Docker Engine 23+), else
# containerd through ctr (Kubernetes' own runtime; the containerd that dockerd uses),
# because older docker engines refuse `--cap-add BPF`. MEMSIGHT_IMAGE_ENGINE=docker or
# containerd forces one.
#
# No registry is needed: the base image is made here from a debootstrap of Debian
# bookworm, cached in build/image/. BASE_IMAGE=debian:bookworm (or any bookworm image the
# engine has or can pull) skips that. DEBIAN_MIRROR picks the mirror for debootstrap.
# Images are kept between runs (memsight-image-test-*) so that a rerun builds in seconds;
# containers are removed.
source "$(dirname "$0")/../integration/lib.sh"
# shellcheck disable=SC2034 # finish (lib.sh) names the test with it
TEST_NAME=image

CACHE=$ROOT/build/image
BASE_TARBALL=$CACHE/debian-bookworm-minbase.tar
LOCAL_BASE=memsight-image-test-base:bookworm
IMAGE=memsight-image-test-agent:latest
CTR_IMAGE=docker.io/library/$IMAGE
HOG_IMAGE=memsight-image-test-hog:latest
CTR_NS=memsight-image-test
NODE=memsight-image-test-node
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
MIB=$((1 << 20))
# CAP_PERFMON is 38, CAP_BPF 39.
WANT_CAPS=000000c000000000
# What containerd grants by default; ctr has no --cap-drop ALL, so each is dropped.
CONTAINERD_DEFAULT_CAPS=(CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP
	SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE)

DOCKER_CONTAINERS=()
CTR_CONTAINERS=()
declare -A CTR_CLIENT=()

image_cleanup() {
	local name
	for name in "${CTR_CONTAINERS[@]}"; do
		ctr_cmd task kill -s SIGKILL "$name" >/dev/null 2>&1
	done
	for name in "${CTR_CONTAINERS[@]}"; do
		[ -n "${CTR_CLIENT[$name]:-}" ] && { wait "${CTR_CLIENT[$name]}"; } 2>/dev/null
		ctr_cmd task delete -f "$name" >/dev/null 2>&1
		ctr_cmd containers delete "$name" >/dev/null 2>&1
	done
	if [ -n "${CTR_SOCK:-}" ]; then
		ctr_cmd images rm --sync "$CTR_IMAGE" >/dev/null 2>&1
		ctr -a "$CTR_SOCK" namespaces rm "$CTR_NS" >/dev/null 2>&1
	fi
	# ctr puts its containers' cgroups below /<namespace>: that parent stays behind.
	local dir
	for dir in /sys/fs/cgroup/"$CTR_NS" /sys/fs/cgroup/*/"$CTR_NS"; do
		[ -d "$dir" ] && rmdir "$dir" 2>/dev/null
	done
	for name in "${DOCKER_CONTAINERS[@]}"; do
		$DOCKER rm -f "$name" >/dev/null 2>&1
	done
	cleanup # lib.sh's: also stops a dockerd that ensure_dockerd started
}
trap image_cleanup EXIT
trap 'exit 130' INT TERM

ms_now() { date +%s%3N; }

# --- the engine, the base image, the build ----------------------------------------------
# The base both stages build FROM: BASE_IMAGE if given, else a debootstrap of bookworm
# imported as memsight-image-test-base:bookworm (the tarball is cached).
ensure_base() {
	if [ -n "${BASE_IMAGE:-}" ]; then
		BASE=$BASE_IMAGE
		echo "base image: $BASE"
		return 0
	fi
	BASE=$LOCAL_BASE
	if $DOCKER image inspect "$BASE" >/dev/null 2>&1; then
		echo "base image: $BASE (local)"
		return 0
	fi
	if [ ! -s "$BASE_TARBALL" ]; then
		local rootfs=$CACHE/rootfs.tmp t0
		"$ROOT/tests/deps.sh" debootstrap || return 1
		echo "making the base image: debootstrap --variant=minbase bookworm from $MIRROR (about a minute)"
		mkdir -p "$CACHE"
		rm -rf "$rootfs"
		t0=$(ms_now)
		if ! debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1; then
			not_ok "debootstrap (log: $(tail -3 "$WORK/debootstrap.log"))"
			rm -rf "$rootfs"
			return 1
		fi
		# As Debian's official image: no package lists or downloaded packages, and the
		# three suites in deb822 form, so that the build stage's apt-get update gets
		# security updates too.
		rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
			"$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/etc/apt/sources.list
		local uri=${MIRROR%/}
		cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<-EOF
			Types: deb
			URIs: $uri
			Suites: bookworm bookworm-updates
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

			Types: deb
			URIs: ${uri%/debian}/debian-security
			Suites: bookworm-security
			Components: main
			Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
		tar --numeric-owner -C "$rootfs" -cf "$BASE_TARBALL.tmp" . &&
			mv "$BASE_TARBALL.tmp" "$BASE_TARBALL"
		rm -rf "$rootfs"
		echo "  base root file system made in $((($(ms_now) - t0) / 1000)) s"
	fi
	if ! $DOCKER import -c 'CMD ["bash"]' "$BASE_TARBALL" "$BASE" >/dev/null; then
		not_ok "base image imported from $BASE_TARBALL"
		return 1
	fi
	echo "base image: $BASE (imported from build/image/)"
}

build_image() {
	local old new t0 rc version revision
	version=$(make -s -C "$ROOT" --no-print-directory --eval 'memsight-image-test-version: ; @echo $(VERSION)' memsight-image-test-version)
	revision=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null)
	old=$($DOCKER image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null)
	echo "building the image $IMAGE (version $version; a cold build installs clang and the -dev packages: a few minutes; then seconds)"
	t0=$(ms_now)
	$DOCKER build --network host --force-rm \
		--build-arg BASE_IMAGE="$BASE" \
		--build-arg MEMSIGHT_VERSION="$version" \
		--build-arg MEMSIGHT_REVISION="$revision" \
		-t "$IMAGE" "$ROOT" >"$WORK/build.log" 2>&1
	rc=$?
	BUILD_SECONDS=$((($(ms_now) - t0) / 1000))
	if [ $rc -ne 0 ]; then
		not_ok "docker build (exit $rc; the end of its output:)"
		tail -25 "$WORK/build.log" | sed 's/^/    /'
		return 1
	fi
	ok "docker build in ${BUILD_SECONDS} s (docker $($DOCKER info -f '{{.ServerVersion}}' 2>/dev/null), $(grep -q '^#[0-9]' "$WORK/build.log" && echo BuildKit || echo classic builder))"
	new=$($DOCKER image inspect -f '{{.Id}}' "$IMAGE")
	# The image this build replaced is ours and now nameless: remove it. The classic
	# builder also keeps the build stage of every build as nameless images; the previous
	# one goes too, down to the layers this build shares with it (the packages).
	if [ -n "$old" ] && [ "$old" != "$new" ]; then
		$DOCKER rmi "$old" >/dev/null 2>&1
	fi
	local stage previous
	stage=$(awk '/^Step [0-9]+\/[0-9]+ : FROM / { if (n++ && last) { print last; exit } }
		/^ ---> [0-9a-f]+$/ { last = $2 }' "$WORK/build.log")
	previous=$(cat "$CACHE/build-stage.id" 2>/dev/null)
	if [ -n "$stage" ]; then
		if [ -n "$previous" ] && [ "$previous" != "$stage" ]; then
			$DOCKER rmi "$previous" >/dev/null 2>&1
		fi
		mkdir -p "$CACHE" && echo "$stage" >"$CACHE/build-stage.id"
	fi
	local size
	size=$($DOCKER image inspect -f '{{.Size}}' "$IMAGE")
	echo "  image size: $((size / MIB)) MiB ($size bytes; the base: $(($($DOCKER image inspect -f '{{.Size}}' "$BASE") / MIB)) MiB)"
	expect_eq "memsight version in the image (no .git in the context)" \
		"$($DOCKER run --rm --network none "$IMAGE" version 2>&1)" "memsight $version"
	expect_eq "entrypoint" "$($DOCKER image inspect -f '{{json .Config.Entrypoint}}' "$IMAGE")" '["/usr/local/bin/memsight"]'
	expect_eq "default command" "$($DOCKER image inspect -f '{{json .Config.Cmd}}' "$IMAGE")" '["run","--listen","0.0.0.0:9464"]'
	expect_eq "exposed port" "$($DOCKER image inspect -f '{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}' "$IMAGE")" "9464/tcp "
	expect_eq "OCI version label" "$($DOCKER image inspect -f '{{index .Config.Labels "org.opencontainers.image.version"}}' "$IMAGE")" "$version"
	expect_eq "no build tools in the runtime image" \
		"$($DOCKER run --rm --network none --entrypoint sh "$IMAGE" -c 'for t in cc gcc clang make bpftool; do command -v $t; done' 2>&1)" ""
}

# --- running the agent as the DaemonSet does ----------------------------------------------
ctr_cmd() { ctr -a "$CTR_SOCK" -n "$CTR_NS" "$@"; }

pick_engine() {
	local sock
	ENGINE=${MEMSIGHT_IMAGE_ENGINE:-}
	if [ -z "$ENGINE" ]; then
		if $DOCKER run --rm --network none --cap-drop ALL --cap-add BPF --cap-add PERFMON \
			"$IMAGE" version >/dev/null 2>"$WORK/probe.err"; then
			ENGINE=docker
		else
			echo "  docker $($DOCKER info -f '{{.ServerVersion}}') refuses CAP_BPF ($(head -1 "$WORK/probe.err" | sed 's/^docker: //')): the agent runs under containerd"
			ENGINE=containerd
		fi
	fi
	if [ "$ENGINE" == containerd ]; then
		for sock in /run/containerd/containerd.sock /run/docker/containerd/containerd.sock; do
			if [ -S "$sock" ] && ctr -a "$sock" version >/dev/null 2>&1; then
				CTR_SOCK=$sock
				break
			fi
		done
		if [ -z "${CTR_SOCK:-}" ]; then
			not_ok "a containerd socket for ctr (the engine for CAP_BPF here)"
			return 1
		fi
		if ! $DOCKER save "$IMAGE" | ctr_cmd images import - >"$WORK/import.log" 2>&1; then
			not_ok "image imported into containerd (log: $(tail -2 "$WORK/import.log"))"
			return 1
		fi
		echo "agent engine: containerd $(ctr -a "$CTR_SOCK" version 2>/dev/null | awk '/Server/ {s=1} s && /Version/ {print $2; exit}') (ctr, namespace $CTR_NS, default seccomp profile)"
	else
		echo "agent engine: docker $($DOCKER info -f '{{.ServerVersion}}') (default seccomp profile)"
	fi
}

# agent_start NAME NET CAPS [ARGS...]: starts the image in the background as the
# DaemonSet would. NET: none or host. CAPS: comma-separated capability names without
# CAP_ (e.g. BPF,PERFMON), the only ones granted. ARGS: memsight's arguments; none runs
# the image's own command. Output: $WORK/NAME.out (stdout), $WORK/NAME.err (stderr).
agent_start() {
	agent_launch background "$@"
}

# agent_exec NAME NET CAPS [ARGS...]: the same in the foreground; returns its exit status.
agent_exec() {
	agent_launch foreground "$@"
}

agent_launch() {
	local mode=$1 name=$2 net=$3 caps=$4 cap
	shift 4
	local mounts=(/sys/fs/cgroup:/sys/fs/cgroup /sys/kernel/btf:/sys/kernel/btf
		/sys/kernel/tracing:/sys/kernel/tracing
		"$DOCKER_ROOT/containers:/host$DOCKER_ROOT/containers")
	local flags=() m
	if [ "$ENGINE" == docker ]; then
		flags=(--name "$name" --cap-drop ALL --read-only --security-opt no-new-privileges
			--network "$net" -e NODE_NAME="$NODE")
		for cap in ${caps//,/ }; do flags+=(--cap-add "$cap"); done
		for m in "${mounts[@]}"; do flags+=(-v "$m:ro"); done
		DOCKER_CONTAINERS+=("$name")
		if [ "$mode" == foreground ]; then
			$DOCKER run "${flags[@]}" "$IMAGE" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
			local rc=$?
			$DOCKER rm -f "$name" >/dev/null 2>&1
			return $rc
		fi
		$DOCKER run -d "${flags[@]}" "$IMAGE" "$@" >/dev/null 2>"$WORK/$name.err"
		return
	fi
	# containerd: ctr sets no_new_privs unless told otherwise; --seccomp is containerd's
	# default profile, the one a pod gets with seccompProfile RuntimeDefault.
	flags=(run --rm --read-only --seccomp --env NODE_NAME="$NODE" --pid-file "$WORK/$name.pid")
	for cap in "${CONTAINERD_DEFAULT_CAPS[@]}"; do flags+=(--cap-drop "CAP_$cap"); done
	for cap in ${caps//,/ }; do flags+=(--cap-add "CAP_$cap"); done
	for m in "${mounts[@]}"; do
		flags+=(--mount "type=bind,src=${m%%:*},dst=${m#*:},options=rbind:ro")
	done
	[ "$net" == host ] && flags+=(--net-host)
	flags+=("$CTR_IMAGE" "$name")
	[ $# -gt 0 ] && flags+=(/usr/local/bin/memsight "$@")
	CTR_CONTAINERS+=("$name")
	if [ "$mode" == foreground ]; then
		ctr_cmd "${flags[@]}" </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err"
		return
	fi
	ctr_cmd "${flags[@]}" </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err" &
	CTR_CLIENT[$name]=$!
}

# agent_logs NAME: brings $WORK/NAME.out and .err up to date.
agent_logs() {
	if [ "$ENGINE" == docker ]; then
		$DOCKER logs "$1" >"$WORK/$1.out" 2>"$WORK/$1.err"
	fi
	return 0
}

agent_pid() {
	if [ "$ENGINE" == docker ]; then
		$DOCKER inspect -f '{{.State.Pid}}' "$1" 2>/dev/null
	else
		cat "$WORK/$1.pid" 2>/dev/null
	fi
}

# agent_stop NAME: SIGTERM, as the kubelet does; sets STOP_STATUS and STOP_MS.
agent_stop() {
	local t0
	t0=$(ms_now)
	if [ "$ENGINE" == docker ]; then
		$DOCKER stop -t 10 "$1" >/dev/null 2>&1
		STOP_STATUS=$($DOCKER inspect -f '{{.State.ExitCode}}' "$1")
		agent_logs "$1"
	else
		ctr_cmd task kill -s SIGTERM "$1" >/dev/null 2>&1
		{ wait "${CTR_CLIENT[$1]}"; } 2>/dev/null
		STOP_STATUS=$?
		unset "CTR_CLIENT[$1]"
	fi
	STOP_MS=$(($(ms_now) - t0))
}

# oom_line_seen NAME ID: the agent has written an oom_kill line for that container.
oom_line_seen() {
	agent_logs "$1"
	grep '"type":"oom_kill"' "$WORK/$1.out" | grep -q "$2"
}

# leak_line_seen NAME PID: the agent has named that process in a leak_suspect line.
leak_line_seen() {
	agent_logs "$1"
	grep '"type":"leak_suspect"' "$WORK/$1.out" | grep -q "\"pid\":$2[,}]"
}

# oom_series_is ID NAME VALUE: /metrics has that container's OOM kill counter at VALUE.
oom_series_is() {
	curl -s --max-time 2 "http://127.0.0.1:$PORT/metrics" >"$WORK/metrics"
	grep '^memsight_oom_kills_total{' "$WORK/metrics" | grep "[{,]container_id=\"$1\"" |
		grep "[{,]container=\"$2\"" | grep -q "} $3\$"
}

agent_ready_stream() {
	agent_logs "$1"
	grep -qs '"type":"agent_stats"' "$WORK/$1.out"
}

http_code() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT$1"
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The container the DaemonSet's confinement should give, read from the host.
check_confinement() {
	local pid=$1 status
	status=$(cat "/proc/$pid/status" 2>/dev/null)
	expect_eq "agent's effective capabilities: CAP_BPF and CAP_PERFMON only" \
		"$(awk '$1 == "CapEff:" { print $2 }' <<<"$status")" $WANT_CAPS
	expect_eq "agent's bounding set: the same" "$(awk '$1 == "CapBnd:" { print $2 }' <<<"$status")" $WANT_CAPS
	expect_eq "no_new_privs" "$(awk '$1 == "NoNewPrivs:" { print $2 }' <<<"$status")" 1
	expect_eq "seccomp filter mode (the runtime's default profile)" "$(awk '$1 == "Seccomp:" { print $2 }' <<<"$status")" 2
	expect_eq "uid 0" "$(awk '$1 == "Uid:" { print $2 }' <<<"$status")" 0
	check "own pid namespace (no hostPID)" test "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)"
	expect_eq "read-only root file system" \
		"$(awk '$5 == "/" { split($6, o, ","); print o[1] }' "/proc/$pid/mountinfo")" ro
}

# --- the cases ---------------------------------------------------------------------------

# features_case [ARGS...]: with only CAP_BPF and CAP_PERFMON every feature must attach
# through the same hook as with CAP_SYS_ADMIN (the reference): a missing privilege shows
# up as a fallback.
features_case() {
	local ref=memsight-image-test-features-ref-$$ ds=memsight-image-test-features-$$ want got rc
	echo "features${*:+ $*}: CAP_BPF+CAP_PERFMON against CAP_SYS_ADMIN"
	agent_exec "$ref" none SYS_ADMIN features --json --host-root /host "$@"
	agent_exec "$ds" none BPF,PERFMON features --json --host-root /host "$@"
	rc=$?
	expect_eq "features runs with CAP_BPF+CAP_PERFMON (stderr: $(head -c 300 "$WORK/$ds.err"))" $rc 0
	want=$(jq -c '[.hooks[] | {feature, status, hook}]' "$WORK/$ref.out" 2>/dev/null)
	got=$(jq -c '[.hooks[] | {feature, status, hook}]' "$WORK/$ds.out" 2>/dev/null)
	check "the reference run listed its hooks" test -n "$want"
	if [ -n "$want" ] && [ "$want" == "$got" ]; then
		ok "every feature on the same hook as with CAP_SYS_ADMIN: $(jq -r '[.[] | select(.status == "attached") | "\(.feature) \(.hook)"] | join(", ")' <<<"$got")"
	else
		not_ok "every feature on the same hook as with CAP_SYS_ADMIN: $(jq -r --argjson want "${want:-[]}" '
			.hooks[] as $g | ($want[] | select(.feature == $g.feature)) as $w
			| select($w.status != $g.status or $w.hook != $g.hook)
			| "\($g.feature): \($g.hook) (\($g.reason)), not \($w.hook)"' "$WORK/$ds.out" 2>/dev/null | head -c 700)"
	fi
	expect_eq "the docker runtime seen below /host" \
		"$(jq -r '.runtimes[] | select(.name == "docker") | .detected' "$WORK/$ds.out" 2>/dev/null)" true
}

oom_case() {
	local agent=memsight-image-test-agent-$$ hog=memsight-image-test-hog-$$ id pid status line args
	local leaker=memsight-image-test-leaker-$$ leaker_pid
	echo "agent: memsight $MODE, DaemonSet confinement; beside it a docker container is OOM-killed, another leaks"
	if [ "$MODE" == run ]; then
		PORT=$(free_port)
		args=(run --listen "127.0.0.1:$PORT" --interval 500ms --leak-window 10s --host-root /host --docker-root "$DOCKER_ROOT")
		agent_start "$agent" host BPF,PERFMON "${args[@]}"
		if ! wait_for 30 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:$PORT/readyz)\" = 200 ]"; then
			agent_logs "$agent"
			not_ok "agent ready (/readyz 200) within 30 s (stderr: $(head -c 500 "$WORK/$agent.err"))"
			return
		fi
		ok "agent ready: /readyz 200"
		expect_eq "/healthz" "$(http_code /healthz)" 200
	else
		args=(stream --interval 500ms --leak-window 10s --host-root /host --docker-root "$DOCKER_ROOT")
		agent_start "$agent" none BPF,PERFMON "${args[@]}"
		if ! wait_for 30 agent_ready_stream "$agent"; then
			not_ok "agent attached within 30 s (stderr: $(head -c 500 "$WORK/$agent.err"))"
			return
		fi
		ok "agent attached (first agent_stats line)"
	fi
	pid=$(agent_pid "$agent")
	if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
		check_confinement "$pid"
	else
		not_ok "the agent's host pid"
	fi

	# The leaker keeps 4 MiB a second; it is named (a host pid the pod can't see: no
	# hostPID) within two 10 s windows.
	DOCKER_CONTAINERS+=("$leaker")
	$DOCKER run -d -m 512m --network none --name "$leaker" "$HOG_IMAGE" --comm imgleak --step-ms 250 >/dev/null
	leaker_pid=$($DOCKER inspect -f '{{.State.Pid}}' "$leaker")
	# The victim waits 1.5 s before allocating, so its host pid can be read first; a
	# second process holds 8 MiB beside it, for the kill's task list.
	DOCKER_CONTAINERS+=("$hog")
	$DOCKER run -d -m 32m --memory-swap 32m --network none --name "$hog" --entrypoint /bin/busybox \
		"$HOG_IMAGE" sh -c '/hog --max-mib 8 --hold & exec /hog --comm imghog --delay-ms 1500' >/dev/null
	id=$($DOCKER inspect -f '{{.Id}}' "$hog")
	local hog_pid
	hog_pid=$($DOCKER inspect -f '{{.State.Pid}}' "$hog")
	status=$(timeout 60 $DOCKER wait "$hog")
	expect_eq "victim container exited 137 (killed)" "$status" 137
	if ! wait_for 15 oom_line_seen "$agent" "$id"; then
		not_ok "an oom_kill line for container $id (stderr: $(head -c 300 "$WORK/$agent.err"))"
	else
		line=$(grep '"type":"oom_kill"' "$WORK/$agent.out" | grep "$id" | head -1)
		expect_eq "container.id is docker's full id" "$(jq -r .container.id <<<"$line")" "$id"
		expect_eq "container.runtime" "$(jq -r .container.runtime <<<"$line")" docker
		expect_eq "container.name" "$(jq -r .container.name <<<"$line")" "$hog"
		expect_eq "victim.comm" "$(jq -r .victim.comm <<<"$line")" imghog
		expect_eq "victim.pid is the host's pid of the victim (no hostPID needed)" "$(jq -r .victim.pid <<<"$line")" "$hog_pid"
		expect_eq "memcg.limit_bytes is the -m limit" "$(jq -r .memcg.limit_bytes <<<"$line")" $((32 * MIB))
		expect_eq "node from NODE_NAME" "$(jq -r .node <<<"$line")" "$NODE"
		expect_eq "tasks: the victim and the holder beside it, largest first (seen past the pod's pid namespace)" \
			"$(jq -r '[.tasks[].comm] | join(",")' <<<"$line")" "imghog,hog"
		tasks_match_oom_dump "$line"
	fi
	if wait_for 30 leak_line_seen "$agent" "$leaker_pid"; then
		line=$(grep '"type":"leak_suspect"' "$WORK/$agent.out" | grep "\"pid\":$leaker_pid[,}]" | head -1)
		ok "leak_suspect names the leaker by its host pid ($leaker_pid)"
		expect_eq "leak_suspect: its comm" "$(jq -r .process.comm <<<"$line")" imgleak
		expect_eq "leak_suspect: its container" "$(jq -r .container.name <<<"$line")" "$leaker"
	else
		not_ok "a leak_suspect line naming pid $leaker_pid within 30 s (got: $(grep '"type":"leak_suspect"' "$WORK/$agent.out" | head -c 300))"
	fi
	$DOCKER rm -f "$leaker" >/dev/null 2>&1
	if [ "$MODE" == run ]; then
		# The metrics are refreshed every --interval: a few of them to catch up.
		if wait_for 5 oom_series_is "$id" "$hog" 1; then
			ok "memsight_oom_kills_total{container_id=<id>,container=\"$hog\"} 1"
		else
			not_ok "memsight_oom_kills_total for the container is 1 (got: $(grep '^memsight_oom_kills_total{' "$WORK/metrics" | grep "container_id=\"$id\""))"
		fi
	fi
	agent_stop "$agent"
	expect_eq "agent exits 0 on SIGTERM" "$STOP_STATUS" 0
	within "agent stopped within 10 s of SIGTERM (ms)" "$STOP_MS" 0 10000
	check "agent's stderr: no warnings (got: $(grep -v '^memsight: \(serving\|stopped\)' "$WORK/$agent.err" | head -c 300))" \
		sh -c "! grep -v '^memsight: \(serving\|stopped\)' '$WORK/$agent.err' | grep -q ."
}

# The image's own command (run --listen 0.0.0.0:9464) in its own network namespace.
default_command_case() {
	local agent=memsight-image-test-default-$$
	echo "the image's default command"
	agent_start "$agent" none BPF,PERFMON
	if wait_for 30 agent_ready_stream "$agent"; then
		ok "default command streams (first agent_stats line)"
	else
		not_ok "default command streams (stderr: $(head -c 300 "$WORK/$agent.err"))"
	fi
	check "it serves on 0.0.0.0:9464 (stderr: $(head -c 200 "$WORK/$agent.err"))" \
		grep -q 'serving http://0.0.0.0:9464/' "$WORK/$agent.err"
	agent_stop "$agent"
	expect_eq "exits 0 on SIGTERM" "$STOP_STATUS" 0
}

# missing_cap_case CAPS MISSING: the agent must refuse at once, with one line that names it.
missing_cap_case() {
	local caps=$1 missing=$2 name t0 rc ms
	name=memsight-image-test-no-${missing,,}-$$
	echo "without CAP_$missing (granted: $caps)"
	t0=$(ms_now)
	agent_exec "$name" none "$caps" "${MISSING_ARGS[@]}"
	rc=$?
	ms=$(($(ms_now) - t0))
	expect_eq "exit status 1" "$rc" 1
	within "exits within 5 s (ms)" "$ms" 0 5000
	expect_eq "one line on stderr" "$(wc -l <"$WORK/$name.err")" 1
	check "it names CAP_$missing: $(head -c 200 "$WORK/$name.err")" grep -q "CAP_$missing" "$WORK/$name.err"
	expect_eq "nothing on stdout" "$(wc -c <"$WORK/$name.out")" 0
}

# --- main --------------------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	echo "image: needs root (docker, containerd, BPF)" >&2
	exit 1
fi
for tool in dockerd jq curl python3; do
	command -v $tool >/dev/null || not_ok "$tool is installed (make deps)"
done
[ -x $DOCKER ] || not_ok "$DOCKER (docker.io) is installed"
[ "$FAILURES" -eq 0 ] || finish
if [ ! -x "$HELPERS/hog-static" ]; then
	make -s -C "$ROOT" --no-print-directory build/tests/hog-static || not_ok "hog-static built"
fi

echo "image build"
if ! ensure_dockerd; then
	not_ok "dockerd started (log: $(tail -3 "$WORK/dockerd.log" 2>/dev/null))"
	finish
fi
ensure_base || finish
build_image || finish
DOCKER_ROOT=$($DOCKER info -f '{{.DockerRootDir}}')

# The victim's image: busybox-static and the hog, as in the integration tests.
mkdir -p "$WORK/hog/bin"
cp /bin/busybox "$WORK/hog/bin/busybox"
cp "$HELPERS/hog-static" "$WORK/hog/hog"
printf 'FROM scratch\nCOPY . /\nENTRYPOINT ["/hog"]\n' >"$WORK/hog/Dockerfile"
check "victim image built from busybox-static" sh -c "$DOCKER build -q -t $HOG_IMAGE '$WORK/hog' >/dev/null"

pick_engine || finish
if $DOCKER run --rm --network none "$IMAGE" run --help >/dev/null 2>&1; then
	MODE=run
else
	MODE=stream # until `memsight run` exists
fi
MISSING_ARGS=("$MODE" --host-root /host)

features_case --fault-samples 10
features_case --fault-hook perf_event
oom_case
if [ "$MODE" == run ]; then
	default_command_case
else
	skip "the image's default command: this memsight has no 'run' yet"
fi
missing_cap_case BPF PERFMON
missing_cap_case PERFMON BPF
finish
