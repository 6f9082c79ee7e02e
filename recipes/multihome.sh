#!/usr/bin/env bash
# Recipe: a laptop with two uplinks, Wi-Fi and LTE, and one tunnel path on each. Three network
# namespaces stand for the laptop, the two ISPs and the server; the addresses exist only inside
# them:
#
#   laptop: wlan0 10.231.1.2/24 (gateway 10.231.1.1), wwan0 10.231.2.2/24 (gateway 10.231.2.1);
#           mpclient's path 1 goes to 203.0.113.1:2000, path 2 to 203.0.113.2:2000, and source
#           routing pins path 1 to wlan0, path 2 to wwan0
#   ISPs:   the two gateways, and 203.0.113.1 and 203.0.113.2: the server's two addresses as the
#           laptop sees them, each an mpbridge adding RECIPE_LOSS (0.2) and RECIPE_DELAY ms (10)
#           each way, relaying over 10.231.3.1 -> 10.231.3.2 to
#   server: mpserver 10.231.3.2:2000
#
#   recipes/multihome.sh          the recipe: builds this, runs the tunnel, sends 50 datagrams, checks
#                                 that each path leaves by its own uplink and is up and that mpserver
#                                 got the datagrams; prints one line (about 15 s)
#   recipes/multihome.sh --serve  builds the namespaces only and prints "multihome: ready laptop=NS
#                                 isps=NS server=NS"; then runs one command per line read from stdin,
#                                 answering "done COMMAND" or "failed COMMAND", until the end of its
#                                 input or MH_MAX_SECONDS (300). For system tests (FailoverIT), which
#                                 run the tunnel themselves. Commands, UPLINK being wlan0 or wwan0:
#     link-down UPLINK            the laptop's interface goes down, and its routes with it
#     link-up UPLINK              it comes back, with the routes a DHCP client would restore
#     carrier-down UPLINK         the ISP's end goes down: the laptop's interface stays up with no
#                                 carrier, and what it sends is lost (a silent failure)
#     carrier-up UPLINK           the ISP's end comes back
#     readdress UPLINK ADDRESS    the laptop's address on UPLINK changes (within its /24); routes
#                                 and rules follow
#     unplug UPLINK               the laptop's interface is removed (a USB modem pulled out): its
#                                 link to the ISP and its routes are gone; its rules stay
#     plug UPLINK [unrouted]      an unplugged interface is back (plugged in, DHCP done): the link,
#                                 the laptop's address, then the interface up and its routes; with
#                                 unrouted, no routes yet (link-up UPLINK adds them)
source "$(dirname "$0")/common.sh"
rc_need ip iproute2
serve=0
[ "${1:-}" = --serve ] && serve=1
[ "$(id -u)" = 0 ] || { echo "$RC_NAME: needs root (network namespaces)" >&2; exit 2; }

lns=mptr-mh-$$-laptop ins=mptr-mh-$$-isps sns=mptr-mh-$$-server
L=(ip netns exec "$lns")   # run in the laptop's / the ISPs' / the server's namespace
I=(ip netns exec "$ins")
S=(ip netns exec "$sns")

# Per uplink: its routing table, the ISP's end of the link, the gateway, the laptop's address now,
# the metric of its default route in the main table, and the server address pinned to it.
declare -A table=([wlan0]=101 [wwan0]=102) isp=([wlan0]=ap0 [wwan0]=cell0)
declare -A gateway=([wlan0]=10.231.1.1 [wwan0]=10.231.2.1) address=([wlan0]=10.231.1.2 [wwan0]=10.231.2.2)
declare -A metric=([wlan0]=100 [wwan0]=200) server=([wlan0]=203.0.113.1 [wwan0]=203.0.113.2)

# The routing of each uplink, once its interface has its address (from DHCP, here from build):
#   main table: the laptop's default route by this uplink, Wi-Fi preferred (lower metric);
#   table 101/102: everything by this uplink, or nothing: the "unreachable" route is taken only
#     when the uplink's own route is gone, so that a pinned path fails at once instead of moving to
#     the other uplink (where both copies would share one link);
#   rules: datagrams from the uplink's address (sockets bound to it), and those to the server
#     address its path uses, look in its table.
# uplink_routes UPLINK: the routes, made again after anything that removed them (the kernel drops
# an interface's routes when it goes down or loses its address). One ip process, so that they
# come back together.
uplink_routes() {
    local u=$1 t=${table[$1]}
    ip -n "$lns" -batch - <<EOF
route replace default via ${gateway[$u]} dev $u metric ${metric[$u]}
route replace default via ${gateway[$u]} dev $u table $t
route replace unreachable default metric 4096 table $t
EOF
}

# uplink_rules UPLINK: the rules; the first follows the uplink's address.
uplink_rules() {
    local u=$1 t=${table[$1]}
    ip -n "$lns" rule add from "${address[$u]}" table "$t" priority "$((t + 900))" &&
        ip -n "$lns" rule add to "${server[$u]}" table "$t" priority "$((t + 1000))"
}

# uplink_operational UPLINK: waits (at most 3 s) until the kernel has the interface up with carrier:
# it acts on a returning carrier within a second, and drops what is sent before.
uplink_operational() {
    local deadline=$((SECONDS + 3))
    until ip -n "$lns" -o link show dev "$1" | grep -q ' state UP '; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.01
    done
}

build() {
    local u
    rc_netns "$lns"
    rc_netns "$ins"
    rc_netns "$sns"
    for u in wlan0 wwan0; do
        ip -n "$lns" link add "$u" type veth peer name "${isp[$u]}" netns "$ins" || return 1
        ip -n "$lns" addr add "${address[$u]}/24" dev "$u"
        ip -n "$ins" addr add "${gateway[$u]}/24" dev "${isp[$u]}"
        ip -n "$ins" addr add "${server[$u]}/32" dev lo
        ip -n "$lns" link set "$u" up
        ip -n "$ins" link set "${isp[$u]}" up
        uplink_operational "$u" && uplink_routes "$u" && uplink_rules "$u" || return 1
    done
    ip -n "$ins" link add up0 type veth peer name eth0 netns "$sns" || return 1
    ip -n "$ins" addr add 10.231.3.1/24 dev up0
    ip -n "$sns" addr add 10.231.3.2/24 dev eth0
    ip -n "$ins" link set up0 up
    ip -n "$sns" link set eth0 up
}
build || rc_fail "cannot build the namespaces"

# uplink_plug UPLINK [unrouted]: an unplugged uplink made again as build makes it (its rules were
# kept), its routes too unless unrouted
uplink_plug() {
    local u=$1
    [ -z "${2:-}" ] || [ "$2" = unrouted ] || return 1
    ip -n "$lns" link add "$u" type veth peer name "${isp[$u]}" netns "$ins" &&
        ip -n "$lns" addr add "${address[$u]}/24" dev "$u" &&
        ip -n "$ins" addr add "${gateway[$u]}/24" dev "${isp[$u]}" &&
        ip -n "$ins" link set "${isp[$u]}" up && ip -n "$lns" link set "$u" up &&
        uplink_operational "$u" && { [ -n "${2:-}" ] || uplink_routes "$u"; }
}

# serve_command LINE: one --serve command; status 0 when done
serve_command() {
    local verb=${1:-} u=${2:-} new=${3:-}
    [ -n "$u" ] && [ -n "${table[$u]:-}" ] || return 1
    case $verb in
        link-down) ip -n "$lns" link set "$u" down ;;
        link-up) ip -n "$lns" link set "$u" up && uplink_operational "$u" && uplink_routes "$u" ;;
        carrier-down) ip -n "$ins" link set "${isp[$u]}" down ;;
        carrier-up) # a gateway whose address was not resolved during the outage is tried again only a
            # second later: forget it, as a reconnecting DHCP client makes the kernel resolve it anew
            ip -n "$ins" link set "${isp[$u]}" up && uplink_operational "$u" && uplink_routes "$u" &&
                ip -n "$lns" neigh flush dev "$u" ;;
        readdress)
            [[ $new =~ ^${gateway[$u]%.*}\.[0-9]+$ ]] || return 1
            ip -n "$lns" addr del "${address[$u]}/24" dev "$u" &&
                ip -n "$lns" addr add "$new/24" dev "$u" && address[$u]=$new &&
                ip -n "$lns" rule del priority "$((table[$u] + 900))" &&
                ip -n "$lns" rule add from "$new" table "${table[$u]}" priority "$((table[$u] + 900))" &&
                uplink_routes "$u" ;;
        unplug) ip -n "$lns" link del "$u" ;; # the ISP's end goes with it
        plug) uplink_plug "$u" "$new" ;;
        *) return 1 ;;
    esac
}

if [ "$serve" = 1 ]; then
    echo "multihome: ready laptop=$lns isps=$ins server=$sns"
    deadline=$((SECONDS + ${MH_MAX_SECONDS:-300}))
    while [ $SECONDS -lt $deadline ] && IFS= read -r -t $((deadline - SECONDS)) line; do
        # shellcheck disable=SC2086 # the words of the command
        if serve_command $line >&2; then echo "done $line"; else echo "failed $line"; fi
    done
    [ $SECONDS -lt $deadline ] || echo "multihome: MH_MAX_SECONDS reached, cleaning up"
    RC_OK=1
    exit 0
fi

# --- the recipe: the tunnel over both uplinks
rc_need java openjdk-17-jre-headless
rc_jar
rc_keyfile
loss=${RECIPE_LOSS:-0.2}
delay=${RECIPE_DELAY:-10}
rc_start mpserver "${S[@]}" "$RC_ROOT/bin/mpserver" --key-file "$RC_KEY" --bind 10.231.3.2 \
    --stats-interval 1 2000 127.0.0.1 7
for u in wlan0 wwan0; do
    rc_start "bridge-$u" "${I[@]}" "$RC_ROOT/bin/mpbridge" --bind "${server[$u]}" --seed "${table[$u]}" \
        --loss "$loss" --delay "$delay" 2000 10.231.3.2 2000
done
printf '%s 2000\n' "${server[wlan0]}" "${server[wwan0]}" >"$RC_TMP/mpclient.conf"
for n in mpserver bridge-wlan0 bridge-wwan0; do rc_wait_log "$n" 'listening on' 60; done
rc_start mpclient "${L[@]}" "$RC_ROOT/bin/mpclient" --key-file "$RC_KEY" --listen 127.0.0.1:3000 \
    --stats-interval 1 "$RC_TMP/mpclient.conf"
rc_wait_log mpclient 'listening on' 60

# 50 datagrams from one socket (one session), 20 ms apart
# shellcheck disable=SC2016 # expanded by the inner bash
"${L[@]}" timeout 20 bash -c 'exec 3>/dev/udp/127.0.0.1/3000
    for i in $(seq 50); do echo "datagram $i" >&3; sleep 0.02; done' || rc_fail "cannot send to mpclient"
rc_wait_log mpclient "path ${server[wlan0]}:2000 up rtt [0-9.]+ms .*path ${server[wwan0]}:2000 up rtt [0-9.]+ms" 20
rc_wait_log mpserver 'delivered (4[5-9]|50) ' 20   # 45 of 50 at least: each path loses 20 % each way

# each path by its own uplink: the route, and datagrams counted out of each interface
tx_packets() { ip -n "$lns" -s link show dev "$1" | awk '/TX:/ { getline; print $2 }'; }
for u in wlan0 wwan0; do
    route=$(ip -n "$lns" route get "${server[$u]}")
    grep -q "dev $u .*src ${address[$u]} " <<<"$route" || rc_fail "${server[$u]} is not routed by $u: $route"
    [ "$(tx_packets "$u")" -ge 50 ] || rc_fail "$u sent only $(tx_packets "$u") packets"
done
echo "multihome: one path by Wi-Fi (wlan0, $(tx_packets wlan0) packets out), one by LTE (wwan0, $(tx_packets wwan0) packets out), both up; $(grep -oE 'delivered [0-9]+' "$RC_TMP/mpserver.log" | tail -1) of 50 datagrams at the mpserver (each path losing $loss with $delay ms each way)"
RC_OK=1
