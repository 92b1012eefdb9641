# Helpers shared by the examples' demo.sh scripts (sourced, not run).
#
# Environment:
#   ABANICO           the abanico binary (default: abanico from PATH)
#   ABANICO_ENDPOINT  the server (default http://127.0.0.1:4566)
#   SINK_LOG          file where a running `abanico sink` prints (optional)
#   DEMO_RUN          tag put into every message of this run (default: the time)

ABANICO=${ABANICO:-abanico}
export ABANICO_ENDPOINT=${ABANICO_ENDPOINT:-http://127.0.0.1:4566}
SINK_ADDR=127.0.0.1:9000
RUN=${DEMO_RUN:-r$(date +%H%M%S)}
DEMO_DIR=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)

sink_log=""
sink_offset=0
sink_pid=""
failures=()

ab() { "$ABANICO" "$@"; }

say() { printf '\n== %s ==\n' "$*"; }

# check NAME GOT WANT records a mismatch, reported by finish.
check() {
	if [ "$2" != "$3" ]; then
		failures+=("$1: got $2, want $3")
	fi
}

# finish reports the outcome and exits non-zero on a mismatch.
finish() {
	echo
	if [ ${#failures[@]} -gt 0 ]; then
		printf 'MISMATCH %s\n' "${failures[@]}"
		exit 1
	fi
	echo "demo OK: every copy arrived where expected (run $RUN)"
}

# require_server fails unless the server answers.
require_server() {
	if ! command -v "$ABANICO" >/dev/null; then
		echo "abanico not found: put it on PATH or set ABANICO" >&2
		exit 1
	fi
	if ! curl -fsS -o /dev/null "$ABANICO_ENDPOINT/ready"; then
		echo "no Abanico server at $ABANICO_ENDPOINT: start one with 'abanico serve'" >&2
		exit 1
	fi
}

# ensure_sink uses the abanico sink on 127.0.0.1:9000, or starts one for
# the demo's length.
ensure_sink() {
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://$SINK_ADDR/" || true)
	if [ "$code" = 405 ]; then
		echo "using the abanico sink already running on $SINK_ADDR"
		if [ -n "${SINK_LOG:-}" ]; then
			sink_log=$SINK_LOG
			sink_offset=$(wc -c <"$sink_log")
		fi
		return
	fi
	if [ "$code" != 000 ]; then
		echo "$SINK_ADDR answers, but it is not abanico sink: stop what listens there" >&2
		exit 1
	fi
	sink_log=$(mktemp)
	"$ABANICO" sink --listen "$SINK_ADDR" >"$sink_log" 2>&1 &
	sink_pid=$!
	trap 'kill "$sink_pid" 2>/dev/null; wait "$sink_pid" 2>/dev/null; rm -f "$sink_log"' EXIT
	for _ in $(seq 50); do
		code=$(curl -s -o /dev/null -w '%{http_code}' "http://$SINK_ADDR/" || true)
		[ "$code" = 405 ] && break
		sleep 0.1
	done
	if [ "$code" != 405 ]; then
		cat "$sink_log" >&2
		exit 1
	fi
	sink_offset=$(wc -c <"$sink_log")
	echo "started abanico sink on $SINK_ADDR for this demo (run 'abanico sink' yourself to watch it live)"
}

# apply_topology makes the server match the example's topology.yaml.
apply_topology() {
	say "abanico apply -f topology.yaml"
	ab apply -f "$DEMO_DIR/topology.yaml"
}

# wait_confirmed TOPIC waits until no subscription of TOPIC is pending
# (the sink confirms http subscriptions).
wait_confirmed() {
	for _ in $(seq 150); do
		if ! ab sub list "$1" --json | grep -q '"pending": true'; then
			return
		fi
		sleep 0.2
	done
	failures+=("$1: subscriptions still pending confirmation")
}

# pub TOPIC BODY [--attr k=v ...] publishes one message.
pub() {
	local topic=$1 body=$2
	shift 2
	printf 'publish %-16s %s %s\n' "$topic" "$body" "$*"
	ab publish "$topic" "$body" "$@" >/dev/null
}

# receive_all QUEUE WANT receives (and deletes) this run's messages of
# QUEUE until WANT arrived or 20 s passed, prints them and checks the count.
receive_all() {
	local q=$1 want=$2 got=0 n out printed=0 deadline=$((SECONDS + 20)) wait=2
	say "abanico queue receive $q --max 10 --delete   (expect $want)"
	while :; do
		if [ "$got" -ge "$want" ]; then
			wait=1 # one more look, for copies that should not be there
		fi
		out=$(ab queue receive "$q" --max 10 --wait "$wait" --delete)
		n=$(printf '%s\n' "$out" | tail -n +2 | grep -c -- "$RUN" || true)
		if [ "$(printf '%s\n' "$out" | wc -l)" -gt 1 ]; then
			if [ "$printed" = 0 ]; then
				printf '%s\n' "$out"
				printed=1
			else
				printf '%s\n' "$out" | tail -n +2
			fi
		fi
		got=$((got + n))
		if [ "$wait" = 1 ] && [ "$n" = 0 ]; then
			break
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			break
		fi
	done
	[ "$printed" = 0 ] && echo "(no messages)"
	echo "-> $got message(s) of this run in $q"
	check "queue $q" "$got" "$want"
}

# fn_logs NAME WANT waits until the function's log has WANT lines with this
# run's tag, then prints them.
fn_logs() {
	local name=$1 want=$2 got=0
	say "abanico fn logs $name   (expect $want lines of this run)"
	for _ in $(seq 100); do
		got=$(ab fn logs "$name" | grep -c -- "$RUN" || true)
		[ "$got" -ge "$want" ] && break
		sleep 0.2
	done
	ab fn logs "$name" | grep -- "$RUN" || true
	echo "-> $got line(s) of this run"
	check "function $name" "$got" "$want"
}

# sink_count REGEX counts the sink's lines of this run matching REGEX.
sink_count() {
	tail -c +$((sink_offset + 1)) "$sink_log" | grep -E -- "$1" | grep -c -- "$RUN" || true
}

# sink_lines PATH WANT [STATUS FAILED] waits until the sink printed WANT
# notifications of this run on PATH answered 200 (and FAILED answered
# STATUS), then prints what it printed for PATH.
sink_lines() {
	local path=$1 want=$2 status=${3:-} failed=${4:-0} ok bad=0
	local re=" ${path}(\?[^ ]*)? Notification" okre badre
	okre="$re [^[]"
	badre="$re \[answered ${status:-x}\]"
	say "abanico sink output for $path   (expect $want delivered${status:+, $failed answered $status})"
	if [ -z "$sink_log" ]; then
		echo "(see the terminal running abanico sink; set SINK_LOG to its output file to check it here)"
		return
	fi
	for _ in $(seq 150); do
		ok=$(sink_count "$okre")
		[ -n "$status" ] && bad=$(sink_count "$badre")
		[ "$ok" -ge "$want" ] && [ "$bad" -ge "$failed" ] && break
		sleep 0.2
	done
	sleep 0.3 # let copies that should not come show up
	ok=$(sink_count "$okre")
	[ -n "$status" ] && bad=$(sink_count "$badre")
	tail -c +$((sink_offset + 1)) "$sink_log" | grep -E -- " ${path}(\?[^ ]*)? " | grep -- "$RUN" || echo "(nothing)"
	echo "-> $ok notification(s) of this run delivered on $path${status:+, $bad answered $status}"
	check "sink $path" "$ok" "$want"
	[ -n "$status" ] && check "sink $path answered $status" "$bad" "$failed"
	return 0
}
