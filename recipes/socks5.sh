#!/usr/bin/env bash
# Recipe: a SOCKS5 client's UDP through the tunnel. A PySocks UDP socket -> mpclient --socks (with
# username and password) -> 3 lossy mpbridges -> mpserver (--allow: the echo server only) -> a UDP
# echo server, all on 127.0.0.1 (no root needed). Prints one line; exits 0 when at least 95 of 100
# datagrams come back (each round trip crosses 3 paths losing RECIPE_LOSS, default 0.2, each way).
source "$(dirname "$0")/common.sh"
rc_need java openjdk-17-jre-headless
py=$(rc_python socks)
rc_jar
rc_keyfile

# the destination: a UDP echo server on a free port
rc_start echo "$py" -u -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("echo on port", s.getsockname()[1])
while True:
    data, peer = s.recvfrom(65535)
    s.sendto(data, peer)'
rc_wait_log echo 'echo on port' 20
echo_port=$(sed -n 's/echo on port //p' "$RC_TMP/echo.log")

printf 'recipe-secret\n' >"$RC_TMP/socks.password"
RC_SERVER_OPTS=(--allow "127.0.0.1/32:$echo_port")
RC_CLIENT_OPTS=(--socks 127.0.0.1:0 --socks-user recipe --socks-password-file "$RC_TMP/socks.password")
rc_tunnel_loopback "$echo_port"
rc_wait_log mpclient 'SOCKS5 on' 10
socks_port=$(sed -n 's/.*SOCKS5 on [^ ]*:\([0-9]*\) .*/\1/p' "$RC_TMP/mpclient.log")

result=$(timeout 120 "$py" - "$socks_port" "$echo_port" <<'PY'
import socks, sys
socks_port, echo_port = int(sys.argv[1]), int(sys.argv[2])
s = socks.socksocket(socks.socket.AF_INET, socks.socket.SOCK_DGRAM)
s.set_proxy(socks.SOCKS5, "127.0.0.1", socks_port, username="recipe", password="recipe-secret")
s.settimeout(1.0)
echoed = 0
for i in range(100):
    payload = b"recipe %03d" % i
    s.sendto(payload, ("127.0.0.1", echo_port))
    try:
        while True:  # skip a late echo of an earlier datagram
            data, source = s.recvfrom(2048)
            if data == payload:
                echoed += 1
                break
    except socks.socket.timeout:
        pass
print(echoed)
PY
) || rc_fail "the PySocks client failed: $result"
line="socks5: $result of 100 datagrams echoed through mpclient --socks (PySocks, username/password) -> 3 mpbridges losing ${RECIPE_LOSS:-0.2} with ${RECIPE_DELAY:-10} ms each way -> mpserver --allow -> UDP echo"
[ "$result" -ge 95 ] 2>/dev/null || rc_fail "$line"
echo "$line"
RC_OK=1
