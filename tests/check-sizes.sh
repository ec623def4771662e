#!/bin/bash
# Size limits of the userspace code, run by `make check`: no function longer
# than 80 lines (signature to closing brace), no source file longer than 700.
# It reads clang-formatted C, where a function body opens and closes at
# column 0. Prints the three longest functions either way.
set -euo pipefail
FUNC_MAX=${FUNC_MAX:-80}
FILE_MAX=${FILE_MAX:-700}
files=$(find "${1:-user}" -name '*.[ch]' | sort)

lengths=$(awk '
	/^[A-Za-z_].*\(/ && !/;[ \t]*$/ { if (!sig) { sig = FNR; name = $0 } }
	/^\{/ { start = sig ? sig : FNR }
	/^\}/ && start { printf "%d %s:%d %s\n", FNR - start + 1, FILENAME, start, name; start = 0 }
	/^\}/ || /;[ \t]*$/ && !start { sig = 0 }
' $files | sort -rn)

status=0
echo "longest functions:"
head -3 <<<"$lengths" | sed 's/^/  /'
while read -r n where _; do
	if [ "$n" -gt "$FUNC_MAX" ]; then
		echo "check-sizes: $where: a function of $n lines (at most $FUNC_MAX)" >&2
		status=1
	fi
done <<<"$lengths"
for f in $files; do
	n=$(wc -l <"$f")
	if [ "$n" -gt "$FILE_MAX" ]; then
		echo "check-sizes: $f: $n lines (at most $FILE_MAX)" >&2
		status=1
	fi
done
exit $status
