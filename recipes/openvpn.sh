#!/usr/bin/env bash
# Recipe: OpenVPN over the tunnel, on one machine, as root. Two network namespaces stand for the
# two hosts, joined by a veth pair with private addresses that exist only inside them:
#
#   client ns: openvpn (10.220.0.1) -> mpclient 127.0.0.1:3000 -> 3 mpbridges 127.0.0.1:4001-4003
#              -- veth 10.201.0.1 <-> 10.201.0.2 -->
#   server ns: mpserver :2000 -> openvpn 127.0.0.1:1194 (10.220.0.2)
#
# OpenVPN runs point-to-point with TLS and self-signed certificates pinned by fingerprint
# (--peer-fingerprint, OpenVPN 2.6), no CA needed. The bridges lose RECIPE_LOSS (0.2) of the
# datagrams with RECIPE_DELAY ms (10) each way. Checks that the TLS handshake completes and that
# ping passes inside OpenVPN; prints one line; exits 0 on success.
source "$(dirname "$0")/common.sh"
rc_need_root
rc_need openvpn openvpn openssl openssl ping iputils-ping java openjdk-17-jre-headless
rc_jar
umask 077   # the keys are secrets
rc_keyfile
loss=${RECIPE_LOSS:-0.2}
delay=${RECIPE_DELAY:-10}

cns=mptr-ovpn-$$-c sns=mptr-ovpn-$$-s
rc_netns "$cns"
rc_netns "$sns"
ip -n "$cns" link add vc type veth peer name vs netns "$sns" || rc_fail "cannot create the veth pair"
ip -n "$cns" addr add 10.201.0.1/30 dev vc
ip -n "$sns" addr add 10.201.0.2/30 dev vs
ip -n "$cns" link set vc up
ip -n "$sns" link set vs up
C=(ip netns exec "$cns")   # run in the client's / the server's namespace
S=(ip netns exec "$sns")

rc_start mpserver "${S[@]}" "$RC_ROOT/bin/mpserver" --key-file "$RC_KEY" 2000 127.0.0.1 1194
: >"$RC_TMP/mpclient.conf"
for i in 1 2 3; do
    rc_start "bridge$i" "${C[@]}" "$RC_ROOT/bin/mpbridge" --bind 127.0.0.1 --seed "$i" --loss "$loss" \
        --delay "$delay" "400$i" 10.201.0.2 2000
    echo "127.0.0.1 400$i" >>"$RC_TMP/mpclient.conf"
done
for n in mpserver bridge1 bridge2 bridge3; do rc_wait_log "$n" 'listening on' 60; done
rc_start mpclient "${C[@]}" "$RC_ROOT/bin/mpclient" --key-file "$RC_KEY" --listen 127.0.0.1:3000 \
    "$RC_TMP/mpclient.conf"
rc_wait_log mpclient 'listening on' 60

# a self-signed certificate per end; each end pins the other's by its SHA-256 fingerprint
for end in server client; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=$end" -keyout "$RC_TMP/$end.key" -out "$RC_TMP/$end.crt" 2>/dev/null ||
        rc_fail "openssl could not make a certificate"
done
fp() { openssl x509 -in "$RC_TMP/$1.crt" -noout -fingerprint -sha256 | cut -d = -f 2; }

# tun-mtu 1400: OpenVPN's own overhead plus the tunnel's 40 bytes (with a key) fit the paths' 1500
common=(--dev mptovpn --dev-type tun --proto udp --tun-mtu 1400 --ping 2 --verb 3)
rc_start openvpn-server "${S[@]}" openvpn "${common[@]}" --local 127.0.0.1 --lport 1194 \
    --ifconfig 10.220.0.2 10.220.0.1 --tls-server --dh none \
    --cert "$RC_TMP/server.crt" --key "$RC_TMP/server.key" --peer-fingerprint "$(fp client)"
rc_start openvpn-client "${C[@]}" openvpn "${common[@]}" --remote 127.0.0.1 3000 --nobind \
    --ifconfig 10.220.0.1 10.220.0.2 --tls-client \
    --cert "$RC_TMP/client.crt" --key "$RC_TMP/client.key" --peer-fingerprint "$(fp server)"
start=$SECONDS
rc_wait_log openvpn-client 'Initialization Sequence Completed' 60
rc_wait_log openvpn-server 'Initialization Sequence Completed' 30
tls_seconds=$((SECONDS - start))
"${C[@]}" ping -n -c 20 -i 0.2 -w 30 10.220.0.2 >"$RC_TMP/ping.log" 2>&1 ||
    rc_fail "ping inside OpenVPN over the tunnel: $(tail -n 2 "$RC_TMP/ping.log" | head -n 1)"
echo "openvpn: TLS handshake in $tls_seconds s, then ping inside OpenVPN over the tunnel (3 mpbridges losing $loss with $delay ms each way): $(grep -o "[0-9]* packets transmitted, [0-9]* received" "$RC_TMP/ping.log"), $(grep -o "rtt [^ ]* = [^ ]*" "$RC_TMP/ping.log") ms"
RC_OK=1
