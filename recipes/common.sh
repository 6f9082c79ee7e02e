# Shared by the recipe scripts (sourced, not run). Starts processes in the background, waits on
# their log lines with a deadline, and undoes everything at exit: the processes it started, the
# network namespaces it made, its temporary directory (kept, and named, when the recipe failed).
# Network traffic stays on loopback or inside the namespaces a recipe makes itself.

set -u
RC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RC_NAME=$(basename "$0" .sh)
RC_TMP=$(mktemp -d "/tmp/mptunnel-recipe-$RC_NAME.XXXXXX")
RC_PIDS=()
RC_NETNS=()
RC_OK=0

rc_cleanup() {
    local pid ns
    for pid in "${RC_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${RC_PIDS[@]}"; do
        # at most 5 s for a polite exit, then SIGKILL
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null
    done
    for ns in "${RC_NETNS[@]}"; do rc_netns_delete "$ns"; done
    if [ "$RC_OK" = 1 ]; then rm -rf "$RC_TMP"; else echo "$RC_NAME: logs kept in $RC_TMP" >&2; fi
}
trap rc_cleanup EXIT
trap 'exit 130' INT TERM

rc_fail() { echo "$RC_NAME: FAIL: $*"; exit 1; }

# rc_need COMMAND DEBIAN_PACKAGE ...: stop with status 2 when a command is missing.
rc_need() {
    while [ $# -ge 2 ]; do
        command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] ||
            { echo "$RC_NAME: needs $1 (Debian: apt-get install $2)" >&2; exit 2; }
        shift 2
    done
}

rc_need_root() {
    [ "$(id -u)" = 0 ] || { echo "$RC_NAME: needs root (network namespaces)" >&2; exit 2; }
    [ -c /dev/net/tun ] || { echo "$RC_NAME: needs /dev/net/tun" >&2; exit 2; }
}

# Builds the jar (package, never install) when it is not there yet.
rc_jar() {
    export MPTUNNEL_JAR=${MPTUNNEL_JAR:-$RC_ROOT/mptunnel-examples/target/mptunnel.jar}
    if [ ! -f "$MPTUNNEL_JAR" ]; then
        echo "$RC_NAME: building $MPTUNNEL_JAR" >&2
        (cd "$RC_ROOT" && mvn -B -q -DskipTests package) || rc_fail "the build failed"
    fi
}

# rc_start NAME COMMAND...: runs COMMAND in the background, output in $RC_TMP/NAME.log.
rc_start() {
    local name=$1; shift
    "$@" >"$RC_TMP/$name.log" 2>&1 &
    RC_PIDS+=($!)
}

# rc_wait_log NAME REGEX SECONDS: waits until NAME's log has a line matching REGEX.
rc_wait_log() {
    local deadline=$((SECONDS + $3))
    until grep -qE "$2" "$RC_TMP/$1.log" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || { tail -5 "$RC_TMP/$1.log" >&2; rc_fail "$1: no '$2' within $3 s"; }
        sleep 0.1
    done
}

# rc_port NAME: the port in NAME's "listening on ADDRESS:PORT," line (after rc_wait_log).
rc_port() {
    sed -n 's/.*listening on [^ ]*:\([0-9]*\),.*/\1/p' "$RC_TMP/$1.log" | head -1
}

# rc_netns_delete NAME: ends what still runs in the namespace (anyone's: a test may have started
# it there), at most 5 s politely, then deletes the namespace.
rc_netns_delete() {
    local pids
    pids=$(ip netns pids "$1" 2>/dev/null)
    if [ -n "$pids" ]; then
        # shellcheck disable=SC2086 # one pid per word
        kill $pids 2>/dev/null
        for _ in $(seq 50); do [ -z "$(ip netns pids "$1" 2>/dev/null)" ] && break; sleep 0.1; done
        pids=$(ip netns pids "$1" 2>/dev/null)
        # shellcheck disable=SC2086
        [ -z "$pids" ] || kill -9 $pids 2>/dev/null
    fi
    ip netns delete "$1" 2>/dev/null
}

# Deletes the namespaces of earlier recipe runs that were killed before they could (named
# mptr-RECIPE-PID-..., PID no longer running).
rc_netns_sweep() {
    local ns pid
    for ns in $(ip netns list 2>/dev/null | sed -n 's/^\(mptr-[a-z0-9]*-[0-9]*-[a-z0-9]*\).*/\1/p'); do
        pid=$(cut -d - -f 3 <<<"$ns")
        kill -0 "$pid" 2>/dev/null || rc_netns_delete "$ns"
    done
}

# rc_netns NAME: makes a network namespace with loopback up, deleted at exit (with what runs in it).
# Name it mptr-RECIPE-$$-ROLE, so that a later run can sweep it away if this one is killed.
rc_netns() {
    [ ${#RC_NETNS[@]} -gt 0 ] || rc_netns_sweep
    ip netns add "$1" || rc_fail "cannot create network namespace $1"
    RC_NETNS+=("$1")
    ip -n "$1" link set lo up
}

# rc_keyfile: a fresh pre-shared key made by mpkey; its file is $RC_KEY.
rc_keyfile() {
    RC_KEY=$RC_TMP/psk.key
    "$RC_ROOT/bin/mpkey" "$RC_KEY" >/dev/null 2>&1 || rc_fail "mpkey failed"
}

# rc_free_udp_port: a UDP port free on 127.0.0.1 now (for tools that cannot pick their own).
rc_free_udp_port() {
    "$(rc_python socket)" -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# rc_python: a Python 3 that has the given modules (Debian's, when pyenv's lacks them).
rc_python() {
    local py
    for py in python3 /usr/bin/python3; do
        if "$py" -c "import $*" 2>/dev/null; then echo "$py"; return; fi
    done
    echo "$RC_NAME: needs Python modules: $* (Debian: python3-socks python3-dnspython)" >&2
    exit 2
}

# rc_tunnel_loopback TARGET_PORT: on 127.0.0.1, an mpserver forwarding to TARGET_PORT, three
# mpbridges losing RECIPE_LOSS (default 0.2) with RECIPE_DELAY ms (default 10) each way, and an
# mpclient over them, all with the key $RC_KEY. Extra options: the arrays RC_SERVER_OPTS and
# RC_CLIENT_OPTS. Sets RC_CLIENT_PORT (where applications send).
rc_tunnel_loopback() {
    local target=$1 sport i
    local -a bports
    sport=$(rc_free_udp_port)
    for i in 1 2 3; do bports+=("$(rc_free_udp_port)"); done
    rc_start mpserver "$RC_ROOT/bin/mpserver" --key-file "$RC_KEY" --bind 127.0.0.1 \
        "${RC_SERVER_OPTS[@]}" "$sport" 127.0.0.1 "$target"
    : >"$RC_TMP/mpclient.conf"
    for i in 1 2 3; do
        rc_start "bridge$i" "$RC_ROOT/bin/mpbridge" --bind 127.0.0.1 --seed "$i" \
            --loss "${RECIPE_LOSS:-0.2}" --delay "${RECIPE_DELAY:-10}" "${bports[i-1]}" 127.0.0.1 "$sport"
        echo "127.0.0.1 ${bports[i-1]}" >>"$RC_TMP/mpclient.conf"
    done
    for n in mpserver bridge1 bridge2 bridge3; do rc_wait_log "$n" 'listening on' 60; done
    rc_start mpclient "$RC_ROOT/bin/mpclient" --key-file "$RC_KEY" --listen 127.0.0.1:0 \
        "${RC_CLIENT_OPTS[@]}" "$RC_TMP/mpclient.conf"
    rc_wait_log mpclient 'listening on' 60
    # shellcheck disable=SC2034 # for the recipe that sources this file
    RC_CLIENT_PORT=$(rc_port mpclient)
}
RC_SERVER_OPTS=()
RC_CLIENT_OPTS=()
