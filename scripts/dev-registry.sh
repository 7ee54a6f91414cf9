#!/usr/bin/env bash
# Run a throwaway CNCF distribution registry (Debian: docker-registry 2.8) on loopback for airlock tests.
#
#   scripts/dev-registry.sh start NAME PORT [--auth] [--tls] [--token TOKEN_PORT] [--no-delete]
#   scripts/dev-registry.sh stop NAME
#   scripts/dev-registry.sh env NAME    # shell-eval-able: URL= HOST= CA_FILE= USERNAME= PASSWORD= DATA_DIR= ...
#   scripts/dev-registry.sh pause|resume NAME   # kill / restart the process, keeping its data
#
# State: ${AIRLOCK_DEV_DIR:-<repo>/.dev}/NAME/ (config.yml, data/, registry.log, registry.pid, ...).
# Credentials (--auth / --token): $DEV_REGISTRY_USER / $DEV_REGISTRY_PASSWORD, default airlock / airlock-pass.
# Binary: $DOCKER_REGISTRY_BIN (default docker-registry; upstream builds call it "registry").
# With --token, $DEV_REGISTRY_READ_ONLY (a glob such as '*/acme/agent') names repositories the user
# may pull but not push (to test partial failures).
# Deleting manifests is enabled (storage.delete.enabled, which prune needs); --no-delete leaves it
# off, distribution's default, where every DELETE is answered 405 UNSUPPORTED.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
DEV_DIR="${AIRLOCK_DEV_DIR:-$REPO_ROOT/.dev}"
REGISTRY_BIN="${DOCKER_REGISTRY_BIN:-docker-registry}"
TOKEN_SERVICE="airlock-dev"
TOKEN_ISSUER="airlock-dev-issuer"

die() { echo "dev-registry: $*" >&2; exit 1; }

usage() {
  sed -n '4,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

state_dir() {
  # NAME becomes a directory we rm -rf, so keep it boring.
  [[ "$1" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "invalid NAME '$1' (use [A-Za-z0-9._-])"
  echo "$DEV_DIR/$1"
}

is_port() { [[ "$1" =~ ^[0-9]+$ ]] && (( $1 > 0 && $1 < 65536 )); }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Only signal a pid if it still runs the program we started (pids get recycled).
pid_matches() {
  local pid="$1" pattern="$2"
  kill -0 "$pid" 2>/dev/null && ps -p "$pid" -o args= 2>/dev/null | grep -q -- "$pattern"
}

stop_pidfile() {
  local pidfile="$1" pattern="$2" pid i
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  pid_matches "$pid" "$pattern" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

kill_processes() {
  stop_pidfile "$1/token-server.pid" "token-server.py"
  stop_pidfile "$1/registry.pid" "$REGISTRY_BIN"
}

cmd_stop() {
  local dir
  dir="$(state_dir "$1")"
  [[ -d "$dir" ]] || return 0
  kill_processes "$dir"
  rm -rf "$dir"
}

cmd_env() {
  local dir
  dir="$(state_dir "$1")"
  [[ -f "$dir/env" ]] || die "registry '$1' is not running (no $dir/env)"
  cat "$dir/env"
}

# openssl config shared by all cert generation (explicit extensions; works with OpenSSL 3 and LibreSSL).
write_openssl_cnf() {
  cat >"$1" <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = airlock-dev
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_token]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
CNF
}

gen_tls() {
  local dir="$1" cnf="$1/openssl.cnf"
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ca.key" 2>/dev/null
  openssl req -new -x509 -config "$cnf" -extensions v3_ca -sha256 -days 365 \
    -subj "/CN=airlock dev CA ($NAME)" -key "$dir/ca.key" -out "$dir/ca.crt"
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/server.key" 2>/dev/null
  openssl req -new -config "$cnf" -subj "/CN=localhost" -key "$dir/server.key" -out "$dir/server.csr"
  # <= 825 days validity + serverAuth EKU + SAN: what Apple's TLS policy demands of server certs.
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -sha256 -days 365 \
    -extfile "$cnf" -extensions v3_server -out "$dir/server.crt" 2>/dev/null
  rm -f "$dir/server.csr"
}

gen_token_signer() {
  local dir="$1"
  # RSA because token-server.py signs RS256 via `openssl dgst`; distribution accepts RS256 for RSA keys.
  openssl genrsa -out "$dir/token.key" 2048 2>/dev/null
  openssl req -new -x509 -config "$dir/openssl.cnf" -extensions v3_token -sha256 -days 3650 \
    -subj "/CN=airlock dev token signer ($NAME)" -key "$dir/token.key" -out "$dir/token.crt"
}

write_config() {
  local dir="$1"
  {
    cat <<YAML
version: 0.1
log:
  level: info
  fields:
    service: registry
    instance: $NAME
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: $([[ -n "$NO_DELETE" ]] && echo false || echo true)
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$PORT
  secret: $(openssl rand -hex 16)
  headers:
    X-Content-Type-Options: [nosniff]
YAML
    # No http.debug section: that is what would open a second (debug/metrics/health) port.
    if [[ -n "$TLS" ]]; then
      cat <<YAML
  tls:
    certificate: $dir/server.crt
    key: $dir/server.key
YAML
    fi
    cat <<YAML
health:
  storagedriver:
    enabled: false
YAML
    if [[ -n "$AUTH" ]]; then
      cat <<YAML
auth:
  htpasswd:
    realm: airlock-dev
    path: $dir/htpasswd
YAML
    elif [[ -n "$TOKEN_PORT" ]]; then
      cat <<YAML
auth:
  token:
    realm: http://127.0.0.1:$TOKEN_PORT/token
    service: $TOKEN_SERVICE
    issuer: $TOKEN_ISSUER
    rootcertbundle: $dir/token.crt
YAML
    fi
  } >"$dir/config.yml"
}

http_code() {
  local url="$1"; shift
  curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$@" "$url" 2>/dev/null || true
}

start_token_server() {
  local dir="$1" i
  nohup python3 "$SCRIPT_DIR/token-server.py" --port "$TOKEN_PORT" \
    --key "$dir/token.key" --cert "$dir/token.crt" \
    --service "$TOKEN_SERVICE" --issuer "$TOKEN_ISSUER" \
    --user "$USERNAME" --password "$PASSWORD" \
    --read-only-repos "${DEV_REGISTRY_READ_ONLY:-}" \
    >"$dir/token-server.log" 2>&1 </dev/null &
  echo $! >"$dir/token-server.pid"
  for ((i = 0; i < 50; i++)); do
    [[ "$(http_code "http://127.0.0.1:$TOKEN_PORT/stats")" == 200 ]] && return 0
    kill -0 "$(cat "$dir/token-server.pid")" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$dir/token-server.log" >&2 || true
  kill_processes "$dir"  # keep $dir for post-mortem; the next start/stop removes it
  die "token server did not come up on 127.0.0.1:$TOKEN_PORT"
}

cmd_start() {
  NAME="$1" PORT="$2"; shift 2
  AUTH="" TLS="" TOKEN_PORT="" NO_DELETE=""
  while (($#)); do
    case "$1" in
      --auth) AUTH=1 ;;
      --tls) TLS=1 ;;
      --no-delete) NO_DELETE=1 ;;
      --token) (($# >= 2)) || die "--token needs TOKEN_PORT"; TOKEN_PORT="$2"; shift ;;
      *) die "unknown option: $1" ;;
    esac
    shift
  done
  is_port "$PORT" || die "invalid PORT '$PORT'"
  [[ -z "$TOKEN_PORT" ]] || is_port "$TOKEN_PORT" || die "invalid TOKEN_PORT '$TOKEN_PORT'"
  [[ -n "$AUTH" && -n "$TOKEN_PORT" ]] && die "--auth and --token are exclusive (distribution allows one auth provider)"
  [[ "$TOKEN_PORT" != "$PORT" ]] || die "TOKEN_PORT must differ from PORT"
  command -v "$REGISTRY_BIN" >/dev/null || die "$REGISTRY_BIN not found (set DOCKER_REGISTRY_BIN)"

  local dir
  dir="$(state_dir "$NAME")"
  cmd_stop "$NAME"  # idempotent restart
  port_in_use "$PORT" && die "127.0.0.1:$PORT is already in use"
  [[ -z "$TOKEN_PORT" ]] || ! port_in_use "$TOKEN_PORT" || die "127.0.0.1:$TOKEN_PORT is already in use"
  mkdir -p "$dir/data"
  dir="$(cd "$dir" && pwd)"  # distribution wants absolute paths in its config
  write_openssl_cnf "$dir/openssl.cnf"

  USERNAME="" PASSWORD=""
  if [[ -n "$AUTH" || -n "$TOKEN_PORT" ]]; then
    USERNAME="${DEV_REGISTRY_USER:-airlock}"
    PASSWORD="${DEV_REGISTRY_PASSWORD:-airlock-pass}"
  fi
  [[ -z "$AUTH" ]] || htpasswd -Bbn "$USERNAME" "$PASSWORD" >"$dir/htpasswd"
  [[ -z "$TLS" ]] || gen_tls "$dir"
  [[ -z "$TOKEN_PORT" ]] || gen_token_signer "$dir"
  write_config "$dir"

  local scheme=http ca_file="" auth_kind=none token_url="" curl_args=()
  if [[ -n "$TLS" ]]; then
    scheme=https
    ca_file="$dir/ca.crt"
    curl_args=(--cacert "$ca_file")
  fi
  [[ -z "$AUTH" ]] || auth_kind=basic
  [[ -z "$TOKEN_PORT" ]] || { auth_kind=token token_url="http://127.0.0.1:$TOKEN_PORT/token"; }
  local url="$scheme://127.0.0.1:$PORT"

  [[ -z "$TOKEN_PORT" ]] || start_token_server "$dir"

  nohup "$REGISTRY_BIN" serve "$dir/config.yml" >"$dir/registry.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$dir/registry.pid"
  # Tests set DEV_REGISTRY_WATCH_PID: when that process dies (even by SIGKILL), so does this registry.
  if [[ -n "${DEV_REGISTRY_WATCH_PID:-}" ]]; then
    nohup bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 2; done; "$2" stop "$3" >/dev/null 2>&1' \
      _ "$DEV_REGISTRY_WATCH_PID" "${BASH_SOURCE[0]}" "$NAME" >/dev/null 2>&1 </dev/null &
  fi

  local i code=""
  for ((i = 0; i < 75; i++)); do  # ~15 s
    code="$(http_code "$url/v2/" ${curl_args[@]+"${curl_args[@]}"})"  # bash 3.2-safe empty array
    [[ "$code" == 200 || "$code" == 401 ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if [[ "$code" != 200 && "$code" != 401 ]]; then
    echo "dev-registry: registry '$NAME' did not answer GET $url/v2/ (last status '$code'); log tail:" >&2
    tail -n 30 "$dir/registry.log" >&2 || true
    kill_processes "$dir"  # keep $dir for post-mortem; the next start/stop removes it
    exit 1
  fi

  {
    printf 'NAME=%q\n' "$NAME"
    printf 'URL=%q\n' "$url"
    printf 'HOST=%q\n' "127.0.0.1:$PORT"
    printf 'SCHEME=%q\n' "$scheme"
    printf 'AUTH=%q\n' "$auth_kind"
    printf 'CA_FILE=%q\n' "$ca_file"
    printf 'USERNAME=%q\n' "$USERNAME"
    printf 'PASSWORD=%q\n' "$PASSWORD"
    printf 'TOKEN_URL=%q\n' "$token_url"
    printf 'TOKEN_SERVICE=%q\n' "$([[ -n "$TOKEN_PORT" ]] && echo "$TOKEN_SERVICE" || true)"
    printf 'STATE_DIR=%q\n' "$dir"
    printf 'DATA_DIR=%q\n' "$dir/data"
    printf 'LOG_FILE=%q\n' "$dir/registry.log"
  } >"$dir/env"
  echo "registry $NAME listening on $url${token_url:+ (token realm $token_url)}"
}

# Kills the registry process but keeps its data and config (to test interrupted pushes).
cmd_pause() {
  local dir
  dir="$(state_dir "$1")"
  [[ -f "$dir/registry.pid" ]] || die "registry '$1' is not running"
  stop_pidfile "$dir/registry.pid" "$REGISTRY_BIN"
}

# Starts a paused registry again on the same port with the same data.
cmd_resume() {
  local dir url ca i code="" curl_args=()
  dir="$(state_dir "$1")"
  [[ -f "$dir/env" ]] || die "registry '$1' was never started"
  url="$(. "$dir/env" && echo "$URL")"
  ca="$(. "$dir/env" && echo "$CA_FILE")"
  [[ -z "$ca" ]] || curl_args=(--cacert "$ca")
  nohup "$REGISTRY_BIN" serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 </dev/null &
  echo "$!" >"$dir/registry.pid"
  for ((i = 0; i < 75; i++)); do
    code="$(http_code "$url/v2/" ${curl_args[@]+"${curl_args[@]}"})"
    [[ "$code" == 200 || "$code" == 401 ]] && return 0
    sleep 0.2
  done
  die "registry '$1' did not come back (last status '$code')"
}

(($# >= 1)) || usage
case "$1" in
  pause) (($# == 2)) || usage; cmd_pause "$2" ;;
  resume) (($# == 2)) || usage; cmd_resume "$2" ;;
  start) (($# >= 3)) || usage; shift; cmd_start "$@" ;;
  stop) (($# == 2)) || usage; cmd_stop "$2" ;;
  env) (($# == 2)) || usage; cmd_env "$2" ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
