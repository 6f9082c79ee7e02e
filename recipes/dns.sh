#!/usr/bin/env bash
# Recipe: DNS through the tunnel. dig -> mpclient -> 3 lossy mpbridges -> mpserver -> dnsmasq, all
# on 127.0.0.1 (no root needed). dnsmasq answers one local name and has no upstream, so nothing
# leaves the machine. Prints one line; exits 0 when at least 9 in 10 queries are answered (with up
# to 3 tries each).
# Options from the environment: RECIPE_LOSS (0.2), RECIPE_DELAY (10 ms), RECIPE_QUERIES (20).
source "$(dirname "$0")/common.sh"
rc_need dnsmasq dnsmasq dig bind9-dnsutils java openjdk-17-jre-headless
rc_jar
rc_keyfile

dns_port=$(rc_free_udp_port)
rc_start dnsmasq dnsmasq --keep-in-foreground --log-facility=- --conf-file=/dev/null --no-resolv \
    --no-hosts --bind-interfaces --listen-address=127.0.0.1 --port="$dns_port" \
    --pid-file="$RC_TMP/dnsmasq.pid" --address=/recipe.test/192.0.2.53
rc_tunnel_loopback "$dns_port"
rc_wait_log dnsmasq 'started' 20

queries=${RECIPE_QUERIES:-20}
answered=0
first=0
for i in $(seq "$queries"); do
    # each dig is a new source port, so a new tunnel session; 3 tries 2 s apart as a stub resolver
    # would (dig prints a "timed out" line for each try that got nothing)
    out=$(timeout 10 dig @127.0.0.1 -p "$RC_CLIENT_PORT" "q$i.recipe.test" A +short +tries=3 +timeout=2)
    echo "q$i: $out" >>"$RC_TMP/dig.log"
    if grep -qx 192.0.2.53 <<<"$out"; then
        answered=$((answered + 1))
        grep -q 'timed out' <<<"$out" || first=$((first + 1))
    fi
done
line="dns: $answered of $queries queries answered ($first at the first try) through the tunnel (dig -> mpclient -> 3 mpbridges losing ${RECIPE_LOSS:-0.2} with ${RECIPE_DELAY:-10} ms each way -> mpserver -> dnsmasq)"
[ $((answered * 10)) -ge $((queries * 9)) ] || rc_fail "$line"
echo "$line"
RC_OK=1
