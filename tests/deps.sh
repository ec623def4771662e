#!/bin/sh
# Installs the Debian packages named as arguments that are missing. Idempotent:
# `apt-get update` runs only when something has to be installed.
set -e
missing=""
for pkg in "$@"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $pkg" ;;
	esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing (run as root: sudo make deps)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-remove: never take a package off the machine to make room, e.g. the system's own
# rsyslog, which syslog-ng-core (the log pipeline test's shipper) conflicts with.
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends --no-remove $missing >/dev/null
