#!/usr/bin/env bash
# Recipe: WireGuard over the tunnel, on one machine, as root. Two network namespaces stand for the
# two hosts, joined by a veth pair with private addresses that exist only inside them:
#
#   client ns: wireguard-go (10.210.0.1) -> mpclient 127.0.0.1:3000 -> 3 mpbridges 127.0.0.1:4001-4003
#              -- veth 10.201.0.1 <-> 10.201.0.2 -->
#   server ns: mpserver :2000 -> wireguard-go :51820 (10.210.0.2), iperf3 server
#
# The bridges lose RECIPE_LOSS (0.2) of the datagrams with RECIPE_DELAY ms (10) each way. Checks
# that ping and TCP (iperf3) pass inside WireGuard over the tunnel, prints one line, exits 0 on
# success. With --bench, a fourth bridge, 127.0.0.1:4000, impaired the same way, goes straight to a
# second WireGuard pair (10.211.0.1 -> :51821, 10.211.0.2): one lossy path, to compare against.
#
#   recipes/wireguard.sh                      the recipe (about 20 s)
#   recipes/wireguard.sh --bench SECONDS RUNS iperf3 TCP inside WireGuard, tunnel against one lossy
#                                             path, cubic and bbr, RUNS runs of SECONDS each
source "$(dirname "$0")/common.sh"
rc_need_root
rc_need wireguard-go wireguard-go wg wireguard-tools iperf3 iperf3 ping iputils-ping \
    java openjdk-17-jre-headless
rc_jar
rc_keyfile

bench_seconds=0
if [ "${1:-}" = --bench ]; then
    bench_seconds=${2:?--bench SECONDS RUNS}
    bench_runs=${3:?--bench SECONDS RUNS}
fi
loss=${RECIPE_LOSS:-0.2}
delay=${RECIPE_DELAY:-10}

# --- the two "hosts"
cns=mptr-wg-$$-c sns=mptr-wg-$$-s
rc_netns "$cns"
rc_netns "$sns"
ip -n "$cns" link add vc type veth peer name vs netns "$sns" || rc_fail "cannot create the veth pair"
ip -n "$cns" addr add 10.201.0.1/30 dev vc
ip -n "$sns" addr add 10.201.0.2/30 dev vs
ip -n "$cns" link set vc up
ip -n "$sns" link set vs up
C=(ip netns exec "$cns")   # run in the client's / the server's namespace
S=(ip netns exec "$sns")

# --- the tunnel
rc_start mpserver "${S[@]}" "$RC_ROOT/bin/mpserver" --key-file "$RC_KEY" 2000 127.0.0.1 51820
: >"$RC_TMP/mpclient.conf"
for i in 1 2 3; do
    rc_start "bridge$i" "${C[@]}" "$RC_ROOT/bin/mpbridge" --bind 127.0.0.1 --seed "$i" --loss "$loss" \
        --delay "$delay" "400$i" 10.201.0.2 2000
    echo "127.0.0.1 400$i" >>"$RC_TMP/mpclient.conf"
done
rc_start bridge0 "${C[@]}" "$RC_ROOT/bin/mpbridge" --bind 127.0.0.1 --seed 4 --loss "$loss" \
    --delay "$delay" 4000 10.201.0.2 51821
for n in mpserver bridge0 bridge1 bridge2 bridge3; do rc_wait_log "$n" 'listening on' 60; done
rc_start mpclient "${C[@]}" "$RC_ROOT/bin/mpclient" --key-file "$RC_KEY" --listen 127.0.0.1:3000 \
    "$RC_TMP/mpclient.conf"
rc_wait_log mpclient 'listening on' 60

# --- WireGuard at both ends. wg_pair N PORT ENDPOINT: interfaces 10.21N.0.1 (client) and
# 10.21N.0.2 (server, listening on PORT), the client's peer at ENDPOINT. The pair over one lossy
# path is a second pair, not the first one re-pointed: WireGuard follows its peer to the source of
# the latest packet, so a re-pointed client would roam back to the tunnel. wireguard-go's control
# sockets (/var/run/wireguard/NAME.sock) are shared by all namespaces, hence names with our pid.
# MTU 1380: WireGuard adds 32 bytes (+ 28 of IPv4/UDP), the tunnel 40 with a key; paths have 1500.
umask 077   # the WireGuard keys and the pre-shared key are secrets
export WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1   # else wireguard-go defers to the kernel's
wg_pair() {
    local n=$1 port=$2 endpoint=$3 wgc=mptwg$1c$$ wgs=mptwg$1s$$ deadline=$((SECONDS + 20))
    wg genkey >"$RC_TMP/$wgc.key"
    wg genkey >"$RC_TMP/$wgs.key"
    rc_start "$wgc" "${C[@]}" wireguard-go -f "$wgc"
    rc_start "$wgs" "${S[@]}" wireguard-go -f "$wgs"
    until [ -S "/var/run/wireguard/$wgc.sock" ] && [ -S "/var/run/wireguard/$wgs.sock" ]; do
        [ $SECONDS -lt $deadline ] || rc_fail "wireguard-go did not start"
        sleep 0.1
    done
    wg set "$wgs" listen-port "$port" private-key "$RC_TMP/$wgs.key" \
        peer "$(wg pubkey <"$RC_TMP/$wgc.key")" allowed-ips "10.21$n.0.1/32" || rc_fail "wg set $wgs"
    wg set "$wgc" private-key "$RC_TMP/$wgc.key" \
        peer "$(wg pubkey <"$RC_TMP/$wgs.key")" endpoint "$endpoint" allowed-ips "10.21$n.0.2/32" ||
        rc_fail "wg set $wgc"
    "${S[@]}" ip addr add "10.21$n.0.2/24" dev "$wgs"
    "${C[@]}" ip addr add "10.21$n.0.1/24" dev "$wgc"
    "${S[@]}" ip link set "$wgs" mtu 1380 up
    "${C[@]}" ip link set "$wgc" mtu 1380 up
    # an iperf3 server per pair: a test's end can linger at a lossy pair's server and refuse the next
    rc_start "iperf3-server$n" "${S[@]}" iperf3 -s -B "10.21$n.0.2" -p 5201
}
wg_pair 0 51820 127.0.0.1:3000

# --- traffic inside WireGuard
start=$SECONDS
"${C[@]}" ping -n -c 5 -i 0.2 -w 30 10.210.0.2 >"$RC_TMP/ping.log" 2>&1 ||
    rc_fail "ping inside WireGuard over the tunnel: $(tail -n 2 "$RC_TMP/ping.log" | head -n 1)"
ping_seconds=$((SECONDS - start))

# iperf3_mbits N CC SECONDS: TCP from client to server inside WireGuard pair N; prints Mbit/s or
# "failed"
iperf3_mbits() {
    local mbits
    mbits=$("${C[@]}" timeout $(($3 + 40)) iperf3 -c "10.21$1.0.2" -p 5201 -t "$3" -C "$2" -f m \
        --connect-timeout 10000 2>&1 | tee -a "$RC_TMP/iperf3.log" | awk '/receiver/ { print $(NF-2) }')
    echo "${mbits:-failed}"
}

if [ "$bench_seconds" = 0 ]; then
    mbits=$(iperf3_mbits 0 cubic 5)
    [ "$mbits" != failed ] || rc_fail "iperf3 inside WireGuard over the tunnel failed"
    echo "wireguard: ping and TCP pass inside WireGuard over the tunnel (3 mpbridges losing $loss with $delay ms each way): ping $(grep -o "[0-9]* packets transmitted, [0-9]* received" "$RC_TMP/ping.log") in $ping_seconds s (the first carried the handshake), iperf3 5 s cubic $mbits Mbit/s"
    RC_OK=1
    exit 0
fi

# --- the benchmark: every run alternates tunnel / one lossy path so that load hits both alike
wg_pair 1 51821 127.0.0.1:4000
echo "# iperf3 -t $bench_seconds TCP inside WireGuard, loss $loss and delay $delay ms each way per bridge; Mbit/s"
echo "# $(date -u '+%F %H:%M UTC'), load average before: $(cut -d ' ' -f 1-3 /proc/loadavg)"
for cc in cubic bbr; do
    for run in $(seq "$bench_runs"); do
        tunnel=$(iperf3_mbits 0 "$cc" "$bench_seconds")
        single=$(iperf3_mbits 1 "$cc" "$bench_seconds")
        echo "$cc run $run: tunnel (3 bridges) $tunnel, one lossy bridge $single, load $(cut -d ' ' -f 1 /proc/loadavg)"
    done
done
echo "# iperf3's output: $RC_TMP/iperf3.log"   # kept: RC_OK stays 0
