#!/usr/bin/env bash
# Benchmarks airlock against the tools a user would otherwise pick, side by side on the same images,
# and reports ratios (absolute times drift on a shared machine). Not a test: CI does not run it.
#
#   scripts/bench.sh [SIZE_MIB]     # default 128; writes bench-results.json in the work directory
#
# Seeds a loopback registry with a large image (three incompressible layers of SIZE MiB and one
# compressible one) plus the sample set (a dozen runtime tags sharing a base, a multi-arch index),
# then times pack, verify, push (also through nginx with a 4 MiB body limit), re-push, inspect and diff with peak RSS (/usr/bin/time -v), and what
# evidence discovery (on by default) adds to pack: pack with and without --no-referrers, alternately.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
SIZE="${1:-128}"
[[ "$SIZE" =~ ^[0-9]+$ ]] || { echo "bench: SIZE_MIB must be a number" >&2; exit 2; }
scripts/setup.sh --no-build
command -v /usr/bin/time >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }
echo "bench: building release" >&2
swift build -c release 2>&1 | grep -E "error|Compiling airlock|Build complete" >&2 || true
AIRLOCK="$ROOT/.build/release/airlock"
[[ -x "$AIRLOCK" ]] || { echo "bench: release build failed" >&2; exit 1; }

WORK="$(mktemp -d /tmp/airlock-bench.XXXXXX)"
BASE_PORT="${BENCH_PORT:-5180}"
SRC="127.0.0.1:$BASE_PORT"; DST_A="127.0.0.1:$((BASE_PORT + 1))"; DST_S="127.0.0.1:$((BASE_PORT + 2))"; DST_F="127.0.0.1:$((BASE_PORT + 3))"
NAMES=(bench-src bench-airlock bench-skopeo bench-floor)
cleanup() { for n in "${NAMES[@]}"; do "$ROOT/scripts/dev-registry.sh" stop "$n" >/dev/null 2>&1 || true; done; }
trap cleanup EXIT
i=0; for n in "${NAMES[@]}"; do scripts/dev-registry.sh start "$n" "$((BASE_PORT + i))" >/dev/null; i=$((i + 1)); done
scripts/seed.sh "$SRC" --plain-http --only runtime,operator >/dev/null 2>&1

echo "bench: seeding a large image ($SIZE MiB layers)" >&2
cd "$WORK"
umoci init --layout big >/dev/null
umoci new --image big:1 >/dev/null
for n in 1 2 3; do
  mkdir -p "l$n/data"; head -c "$((SIZE * 1048576))" /dev/urandom > "l$n/data/random-$n.bin"
  umoci insert --rootless --image big:1 "l$n/data" "/data$n" >/dev/null
  rm -rf "l$n"
done
mkdir -p text; { yes "airlock benchmark line of compressible text 0123456789" || true; } | head -c "$((SIZE * 1048576))" > text/log.txt
umoci insert --rootless --image big:1 text /text >/dev/null; rm -rf text
skopeo copy -q --dest-tls-verify=false oci:big:1 "docker://$SRC/acme/big:1.0.0"
rm -rf big

cat > spec.yaml <<SPEC
name: bench
version: 1.0.0
images:
  - ref: $SRC/acme/big:1.0.0
  - ref: $SRC/acme/runtime
    tags: ["*"]
  - ref: $SRC/acme/operator:2.10.2
SPEC
REFS=(acme/big:1.0.0 acme/operator:2.10.2)
for t in $(skopeo list-tags --tls-verify=false "docker://$SRC/acme/runtime" | jq -r '.Tags[]'); do REFS+=("acme/runtime:$t"); done

# measure NAME COMMAND...: wall seconds, peak RSS (KiB) and blocks written to local file systems
# (512-byte units, counted when pages are dirtied) of one command (or a sh -c pipeline).
declare -A SECONDS_OF RSS_OF WRITES_OF
measure() {
  local name="$1"; shift
  /usr/bin/time -f "%e %M %O" -o "$WORK/time.$name" "$@" >/dev/null 2>"$WORK/err.$name" || { echo "bench: $name failed:" >&2; cat "$WORK/err.$name" >&2; exit 1; }
  read -r SECONDS_OF[$name] RSS_OF[$name] WRITES_OF[$name] < "$WORK/time.$name"
}
sync

measure pack "$AIRLOCK" pack spec.yaml -o bundle.tar.zst -q
# Discovery costs round trips, not bytes: the sample set's runtime, operator and agent (no evidence, no
# big image) isolate it. Alternating runs, best of three each, so cache warmth favours neither.
cat > sample.yaml <<SPEC
name: sample
version: 1.0.0
images:
  - ref: $SRC/acme/runtime
    tags: ["*"]
  - ref: $SRC/acme/operator:2.10.2
SPEC
for round in 1 2 3; do
  measure "sample_noref_$round" "$AIRLOCK" pack sample.yaml -o "sample-noref-$round.tar.zst" -q --no-referrers
  measure "sample_ref_$round" "$AIRLOCK" pack sample.yaml -o "sample-ref-$round.tar.zst" -q
done
best() { printf '%s\n' "$@" | sort -g | head -1; }
SECONDS_OF[sample_noref]=$(best "${SECONDS_OF[sample_noref_1]}" "${SECONDS_OF[sample_noref_2]}" "${SECONDS_OF[sample_noref_3]}")
SECONDS_OF[sample_ref]=$(best "${SECONDS_OF[sample_ref_1]}" "${SECONDS_OF[sample_ref_2]}" "${SECONDS_OF[sample_ref_3]}")
RSS_OF[sample_noref]=${RSS_OF[sample_noref_1]}; RSS_OF[sample_ref]=${RSS_OF[sample_ref_1]}
WRITES_OF[sample_noref]=${WRITES_OF[sample_noref_1]}; WRITES_OF[sample_ref]=${WRITES_OF[sample_ref_1]}
# The whole spec too, both warm (the first pack above read the registry's storage cold).
measure pack_noref "$AIRLOCK" pack spec.yaml -o bundle-noref.tar.zst -q --no-referrers
measure pack_warm "$AIRLOCK" pack spec.yaml -o bundle-warm.tar.zst -q
rm -f bundle-noref.tar.zst bundle-warm.tar.zst sample-*.tar.zst
measure peer_pack sh -c "set -e; for r in ${REFS[*]}; do skopeo copy -q --all --src-tls-verify=false docker://$SRC/\$r oci:layout:\$r; done; tar -C layout -cf - . | zstd -q -T0 -3 > peer.tar.zst"
"$AIRLOCK" keygen --out k >/dev/null; "$AIRLOCK" sign bundle.tar.zst --key k.key >/dev/null
measure verify "$AIRLOCK" verify bundle.tar.zst --key k.pub
measure floor_verify sh -c "zstd -dc bundle.tar.zst | openssl dgst -sha256"
measure push "$AIRLOCK" push bundle.tar.zst --to "$DST_A/b" --key k.pub
measure repush "$AIRLOCK" push bundle.tar.zst --to "$DST_A/b" --key k.pub
# Split bundles: first pushes from parts of one layer's size (frames span parts) and from the one
# file, each into a namespace of its own, alternating, best of three each.
"$AIRLOCK" split bundle.tar.zst --size "${SIZE}M" -o parts.tar.zst >/dev/null
for round in 1 2 3; do
  measure "push_file_$round" "$AIRLOCK" push bundle.tar.zst --to "$DST_A/f$round" --key k.pub
  measure "push_parts_$round" "$AIRLOCK" push parts.tar.zst.001 --to "$DST_A/p$round" --key k.pub
done
SECONDS_OF[push_file]=$(best "${SECONDS_OF[push_file_1]}" "${SECONDS_OF[push_file_2]}" "${SECONDS_OF[push_file_3]}")
SECONDS_OF[push_parts]=$(best "${SECONDS_OF[push_parts_1]}" "${SECONDS_OF[push_parts_2]}" "${SECONDS_OF[push_parts_3]}")
RSS_OF[push_parts]=${RSS_OF[push_parts_1]}; RSS_OF[push_file]=${RSS_OF[push_file_1]}
WRITES_OF[push_parts]=${WRITES_OF[push_parts_1]}; WRITES_OF[push_file]=${WRITES_OF[push_file_1]}
rm -f parts.tar.zst.[0-9]* parts.tar.zst.parts
# Through a proxy with a 4 MiB request-body limit (nginx, as in front of many enterprise
# registries): push falls back to chunks; against the direct push into the same registry, new
# namespaces each time, alternating, best of three each.
NGINX_PORT=$((BASE_PORT + 5)); NGINX_DIR="$WORK/nginx"; mkdir -p "$NGINX_DIR"
cat > "$NGINX_DIR/nginx.conf" <<NGINX
$( [[ $(id -u) -eq 0 ]] && echo "user root;" || true )
worker_processes 1;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path $NGINX_DIR/body; proxy_temp_path $NGINX_DIR/proxy;
  fastcgi_temp_path $NGINX_DIR/f; uwsgi_temp_path $NGINX_DIR/u; scgi_temp_path $NGINX_DIR/s;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    client_max_body_size 4m; proxy_request_buffering off; proxy_buffering off; proxy_http_version 1.1;
    location / { proxy_pass http://$DST_A; proxy_set_header Host \$http_host; }
  }
}
NGINX
/usr/sbin/nginx -p "$NGINX_DIR" -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf"
for round in 1 2 3; do
  measure "push_chunked_$round" "$AIRLOCK" push bundle.tar.zst --to "127.0.0.1:$NGINX_PORT/c$round" --key k.pub
  measure "push_direct_$round" "$AIRLOCK" push bundle.tar.zst --to "$DST_A/d$round" --key k.pub
done
/usr/sbin/nginx -p "$NGINX_DIR" -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf" -s stop
SECONDS_OF[push_chunked]=$(best "${SECONDS_OF[push_chunked_1]}" "${SECONDS_OF[push_chunked_2]}" "${SECONDS_OF[push_chunked_3]}")
SECONDS_OF[push_direct]=$(best "${SECONDS_OF[push_direct_1]}" "${SECONDS_OF[push_direct_2]}" "${SECONDS_OF[push_direct_3]}")
RSS_OF[push_chunked]=${RSS_OF[push_chunked_1]}; RSS_OF[push_direct]=${RSS_OF[push_direct_1]}
WRITES_OF[push_chunked]=${WRITES_OF[push_chunked_1]}; WRITES_OF[push_direct]=${WRITES_OF[push_direct_1]}
measure peer_push sh -c "set -e; for r in ${REFS[*]}; do skopeo copy -q --all --dest-tls-verify=false oci:layout:\$r docker://$DST_S/b/\$r; done"
# The registry's ingest floor: POST + monolithic PUT of every unique blob with curl, one at a time.
measure floor_push sh -c "set -e; cd layout/blobs/sha256; for f in *; do loc=\$(curl -sf -X POST -D - -o /dev/null http://$DST_F/v2/floor/blobs/uploads/ | tr -d '\r' | sed -n 's/^[Ll]ocation: //p'); case \$loc in http*) ;; *) loc=http://$DST_F\$loc;; esac; sep='?'; case \$loc in *\\?*) sep='&';; esac; curl -sf -X PUT -H 'Content-Type: application/octet-stream' -T \$f \"\$loc\${sep}digest=sha256:\$f\" >/dev/null; done"
# serve: the large image pulled straight from the bundle vs from distribution serving the pushed
# copy from its disk, same client (skopeo); then four pulls at once, for serve's peak RSS.
SERVE_PORT=$((BASE_PORT + 4))
/usr/bin/time -f "%M" -o "$WORK/rss.serve" "$AIRLOCK" serve bundle.tar.zst --key k.pub --listen "127.0.0.1:$SERVE_PORT" -q 2>"$WORK/err.serve" &
SERVE_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$SERVE_PORT/v2/" >/dev/null && break; sleep 0.1; done
# Alternating, best of three each, so neither side gets the warmer page cache.
for round in 1 2 3; do
  measure "serve_pull_$round" skopeo copy -q --src-tls-verify=false "docker://127.0.0.1:$SERVE_PORT/acme/big:1.0.0" "dir:pull-serve-$round"
  measure "peer_pull_$round" skopeo copy -q --src-tls-verify=false "docker://$DST_A/b/acme/big:1.0.0" "dir:pull-registry-$round"
  rm -rf "pull-serve-$round" "pull-registry-$round"
done
SECONDS_OF[serve_pull]=$(best "${SECONDS_OF[serve_pull_1]}" "${SECONDS_OF[serve_pull_2]}" "${SECONDS_OF[serve_pull_3]}")
SECONDS_OF[peer_pull]=$(best "${SECONDS_OF[peer_pull_1]}" "${SECONDS_OF[peer_pull_2]}" "${SECONDS_OF[peer_pull_3]}")
RSS_OF[serve_pull]=${RSS_OF[serve_pull_1]}; RSS_OF[peer_pull]=${RSS_OF[peer_pull_1]}
WRITES_OF[serve_pull]=${WRITES_OF[serve_pull_1]}; WRITES_OF[peer_pull]=${WRITES_OF[peer_pull_1]}
measure serve_pull4 sh -c "for i in 1 2 3 4; do skopeo copy -q --src-tls-verify=false docker://127.0.0.1:$SERVE_PORT/acme/big:1.0.0 dir:pull4-\$i & done; wait"
rm -rf pull4-*
# serve under abuse (issue 24): the image's config beside six clients that asked for its largest
# layer and never read, then beside two reading it at 200 KiB/s. serve runs with the default
# --stall-timeout (60 s), so every stalled client still holds its turn when the config is asked for.
MANIFEST="$(curl -sf "http://127.0.0.1:$SERVE_PORT/v2/acme/big/manifests/1.0.0")"
CONFIG="$(jq -r .config.digest <<<"$MANIFEST")"; LAYER="$(jq -r '.layers | max_by(.size) | .digest' <<<"$MANIFEST")"
hold() {  # hold COUNT RATE: COUNT clients GET the layer and read RATE bytes a second (0: nothing)
  python3 - "127.0.0.1:$SERVE_PORT" "$LAYER" "$1" "$2" <<'PY' &
import socket, sys, time
host, port = sys.argv[1].split(":")
held = []
for _ in range(int(sys.argv[3])):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096); s.connect((host, int(port)))
    s.sendall(("GET /v2/acme/big/blobs/" + sys.argv[2] + " HTTP/1.1\r\nHost: x\r\n\r\n").encode()); held.append(s)
for _ in range(200):
    for s in held:
        if int(sys.argv[4]): s.recv(int(sys.argv[4]) // 10)
    time.sleep(0.1)
PY
  HOLD_PID=$!; sleep 1
}
config_seconds() { curl -sf --max-time 60 -o /dev/null -w '%{time_total}' "http://127.0.0.1:$SERVE_PORT/v2/acme/big/blobs/$CONFIG"; }
hold 6 0; SERVE_SMALL_STALLED="$(config_seconds)"
SERVE_LAYER_STALLED="$(curl -sf --max-time 120 -o /dev/null -w '%{time_total}' "http://127.0.0.1:$SERVE_PORT/v2/acme/big/blobs/$LAYER")"
kill "$HOLD_PID" 2>/dev/null || true
hold 2 204800; SERVE_SMALL_SLOW="$(config_seconds)"; kill "$HOLD_PID" 2>/dev/null || true
kill -TERM "$(pgrep -P "$SERVE_PID" -f "airlock serve" || echo "$SERVE_PID")" 2>/dev/null || true
wait "$SERVE_PID" 2>/dev/null || true
SERVE_RSS_KIB="$(tail -1 "$WORK/rss.serve" 2>/dev/null || echo 0)"
measure inspect "$AIRLOCK" inspect bundle.tar.zst
measure diff sh -c "'$AIRLOCK' diff bundle.tar.zst bundle.tar.zst"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) b = 0.001; printf "%.2f", a / b }'; }
row() { printf '%-34s %9s %9s %7s %8s  %s\n' "$@"; }
echo
echo "airlock bench, layers of $SIZE MiB, bundle $(du -m bundle.tar.zst | cut -f1) MiB, $(nproc) cores"
row "measure" "airlock s" "peer s" "ratio" "target" "peak RSS airlock"
row "pack vs skopeo+tar|zstd" "${SECONDS_OF[pack]}" "${SECONDS_OF[peer_pack]}" "$(ratio "${SECONDS_OF[pack]}" "${SECONDS_OF[peer_pack]}")" "<=1.00" "$((RSS_OF[pack] / 1024)) MiB"
row "pack: discovery (sample set)" "${SECONDS_OF[sample_ref]}" "${SECONDS_OF[sample_noref]}" "$(ratio "${SECONDS_OF[sample_ref]}" "${SECONDS_OF[sample_noref]}")" "<=1.10" "$((RSS_OF[sample_ref] / 1024)) MiB"
row "pack: discovery (whole spec)" "${SECONDS_OF[pack_warm]}" "${SECONDS_OF[pack_noref]}" "$(ratio "${SECONDS_OF[pack_warm]}" "${SECONDS_OF[pack_noref]}")" "<=1.10" ""
row "verify vs zstd|openssl" "${SECONDS_OF[verify]}" "${SECONDS_OF[floor_verify]}" "$(ratio "${SECONDS_OF[verify]}" "${SECONDS_OF[floor_verify]}")" "<=1.00" "$((RSS_OF[verify] / 1024)) MiB"
row "push vs skopeo" "${SECONDS_OF[push]}" "${SECONDS_OF[peer_push]}" "$(ratio "${SECONDS_OF[push]}" "${SECONDS_OF[peer_push]}")" "<=0.80" "$((RSS_OF[push] / 1024)) MiB"
row "push vs curl ingest floor" "${SECONDS_OF[push]}" "${SECONDS_OF[floor_push]}" "$(ratio "${SECONDS_OF[push]}" "${SECONDS_OF[floor_push]}")" "<=1.20" ""
row "push: local disk written" "$((WRITES_OF[push] / 2)) KiB" "" "" "0" ""
row "push from parts vs one file" "${SECONDS_OF[push_parts]}" "${SECONDS_OF[push_file]}" "$(ratio "${SECONDS_OF[push_parts]}" "${SECONDS_OF[push_file]}")" "<=1.05" "$((RSS_OF[push_parts] / 1024)) MiB"
row "push via a 4 MiB body limit vs direct" "${SECONDS_OF[push_chunked]}" "${SECONDS_OF[push_direct]}" "$(ratio "${SECONDS_OF[push_chunked]}" "${SECONDS_OF[push_direct]}")" "<=1.30" "$((RSS_OF[push_chunked] / 1024)) MiB"
row "re-push vs first push" "${SECONDS_OF[repush]}" "${SECONDS_OF[push]}" "$(ratio "${SECONDS_OF[repush]}" "${SECONDS_OF[push]}")" "<=0.05" "$((RSS_OF[repush] / 1024)) MiB"
row "pull from serve vs distribution" "${SECONDS_OF[serve_pull]}" "${SECONDS_OF[peer_pull]}" "$(ratio "${SECONDS_OF[serve_pull]}" "${SECONDS_OF[peer_pull]}")" "<=1.00" ""
row "serve: 4 pulls at once" "${SECONDS_OF[serve_pull4]}" "" "" "<=128MiB" "$((SERVE_RSS_KIB / 1024)) MiB (serve)"
row "serve: config beside 6 stalled" "$SERVE_SMALL_STALLED" "" "" "<=1" ""
row "serve: layer beside 6 stalled" "$SERVE_LAYER_STALLED" "" "" "" ""
row "serve: config beside 2 slow" "$SERVE_SMALL_SLOW" "" "" "<=1" ""
row "inspect" "${SECONDS_OF[inspect]}" "" "" "" "$((RSS_OF[inspect] / 1024)) MiB"
row "diff (self)" "${SECONDS_OF[diff]}" "" "" "" "$((RSS_OF[diff] / 1024)) MiB"
{
  printf '{"sizeMiB": %s, "cores": %s' "$SIZE" "$(nproc)"
  for k in "${!SECONDS_OF[@]}"; do printf ', "%s": {"seconds": %s, "peakRSSKiB": %s, "writtenKiB": %s}' "$k" "${SECONDS_OF[$k]}" "${RSS_OF[$k]}" "$((WRITES_OF[$k] / 2))"; done
  printf ', "serveUnderAbuse": {"configBeside6StalledSeconds": %s, "layerBeside6StalledSeconds": %s, "configBeside2SlowSeconds": %s}' "$SERVE_SMALL_STALLED" "$SERVE_LAYER_STALLED" "$SERVE_SMALL_SLOW"
  printf '}\n'
} > "$WORK/bench-results.json"
rm -rf "$WORK/layout" "$WORK/bundle.tar.zst" "$WORK/peer.tar.zst"  # gigabytes; the numbers are what matter
echo
echo "bench: results in $WORK/bench-results.json"
