#!/usr/bin/env bash
# Issue 4's last proof, by hand: the external example plugin, loaded and published through the
# distribution's bin/passport. Needs python3 (a stand-in token endpoint) and, first:
#   mvn install -DskipTests                                  # Passport's root: api, testkit, dist
#   mvn -f examples/token-exchange-plugin/pom.xml verify     # the plugin directory
# Usage: examples/try-with-dist.sh [PASSPORT_HOME]   (default dist/target/passport)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
home=${1:-$root/dist/target/passport}
plugin=$root/examples/token-exchange-plugin/target/plugin
[ -x "$home/bin/passport" ] || { echo "no $home/bin/passport: build the dist first" >&2; exit 2; }
[ -f "$plugin/plugin.properties" ] || { echo "no $plugin: build the example first" >&2; exit 2; }

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/plugins" "$work/conf"
cp -r "$plugin" "$work/plugins/token-exchange"
printf 'tokenUrl=${ENV:STS_URL}\naudience=sts\n' > "$work/conf/token-exchange.properties"

# A stand-in RFC 8693 endpoint: reads (does not verify) the subject token's sub claim.
cat > "$work/sts.py" <<'PY'
import base64, json, sys, urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
class Sts(BaseHTTPRequestHandler):
    def do_POST(self):
        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        claims = form["subject_token"][0].split(".")[1]
        sub = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))["sub"]
        body = json.dumps({"access_token": "exchanged-for-" + sub, "expires_in": 3600}).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *args): pass
server = HTTPServer(("127.0.0.1", 0), Sts)
open(sys.argv[1], "w").write(str(server.server_port))
server.serve_forever()
PY
python3 "$work/sts.py" "$work/sts.port" & pids+=($!)
until [ -s "$work/sts.port" ]; do sleep 0.2; done

STS_URL=http://127.0.0.1:$(cat "$work/sts.port")/token "$home/bin/passport" serve \
  --endpoint "unix://$work/csi.sock" --node-id try --plugins-dir "$work/plugins" \
  --config-dir "$work/conf" --state-dir "$work/state" --kubelet-dir "$work/kubelet" \
  --mount-mode directory \
  --metrics-address 0 > "$work/serve.log" 2>&1 & pids+=($!)
for _ in $(seq 1 150); do [ -S "$work/csi.sock" ] && break; sleep 0.2; done
[ -S "$work/csi.sock" ] || { cat "$work/serve.log" >&2; exit 1; }

# kubelet's shape, the only one the host acts on: <kubelet-dir>/pods/<uid>/volumes/kubernetes.io~csi/<name>/mount
uid=0b6c4c8e-8f6e-4d3c-9d55-4f0f6f1f2a10
target=$work/kubelet/pods/$uid/volumes/kubernetes.io~csi/registry/mount
"$home/bin/passport" kubelet publish --endpoint "unix://$work/csi.sock" --namespace shop \
  --pod checkout-0 --pod-uid $uid --service-account checkout --audience sts \
  -a backend=token-exchange -a file=registry-token --volume-name registry \
  --kubelet-dir "$work/kubelet"
content=$(cat "$target/registry-token")
"$home/bin/passport" kubelet unpublish --endpoint "unix://$work/csi.sock" --namespace shop \
  --pod checkout-0 --pod-uid $uid --volume-name registry --kubelet-dir "$work/kubelet"
grep 'loaded plugin token-exchange' "$work/serve.log"
if [ "$content" = "exchanged-for-system:serviceaccount:shop:checkout" ]; then
  echo "OK: registry-token = $content"
else
  echo "FAILED: registry-token = $content" >&2; exit 1
fi
