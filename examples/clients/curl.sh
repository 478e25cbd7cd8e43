#!/usr/bin/env bash
# Calling 1chserver with curl: a legacy route (1C code in the path, the original 1CHServer protocol)
# and an http route (method, path, headers and body reach the 1C handler).
#
#   curl.sh legacy CODE          run 1C code on a legacy route: GET /<CODE percent-encoded as UTF-8>
#   curl.sh get PATH             GET PATH as given (already encoded), e.g. /api/ping
#   curl.sh post PATH JSON       POST JSON (Content-Type: application/json) to PATH
#
# Environment:
#   HSERVER_URL                  the service, default http://127.0.0.1:3188 (https://... for a tls route)
#   HSERVER_USER, HSERVER_PASSWORD   HTTP Basic credentials (a route with "auth": {"basic": [...]})
#   HSERVER_TOKEN                a bearer token instead (a route with "auth": {"bearer": [...]})
#   HSERVER_CACERT               CA certificate to trust for https (a self-signed certificate itself)
#
# Prints the answer's body. An answer with a status of 400 or more prints "HTTP <status>: <body>" on
# stderr (the service's and the add-in's errors read "Error: <description>") and exits 1; no
# connection exits 2.
#
# The same by hand:
#   curl 'http://127.0.0.1:3188/%D0%A1%D0%BE%D0%BE%D0%B1%D1%89%D0%B8%D1%82%D1%8C(1&&2)'
#       legacy route: the code Сообщить(1+2); "&&" stands for "+" as in the original client's
#       requests ("%2B" is "+" too; a bare "+" is a space)
#   curl -u exchange:password -H 'Content-Type: application/json' -d '{"n": 1}' http://127.0.0.1:3188/api/echo
#       http route with HTTP Basic; -H 'Authorization: Bearer <token>' for a token
set -euo pipefail

base=${HSERVER_URL:-http://127.0.0.1:3188}
base=${base%/}

usage() {
  sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 64
}

# Percent-encodes every byte but the unreserved characters (RFC 3986), so "+" goes as %2B and a
# space as %20: the service decodes the path as UTF-8.
urlencode() {
  local LC_ALL=C text=$1 out='' c hex i
  for ((i = 0; i < ${#text}; i++)); do
    c=${text:i:1}
    case $c in
      [A-Za-z0-9._~-]) out+=$c ;;
      *)
        printf -v hex '%%%02X' "'$c"
        out+=$hex
        ;;
    esac
  done
  printf '%s' "$out"
}

# A value for curl's config syntax: in double quotes, with \ and " escaped.
quoted() {
  local value=${1//\\/\\\\}
  printf '"%s"' "${value//\"/\\\"}"
}

# call METHOD PATH [JSON]: one request; the body to stdout, errors to stderr.
call() {
  local method=$1 path=$2 body_file status rc=0 secrets=''
  local -a options=(--silent --show-error --max-time 60 --request "$method")
  # Credentials go to curl on stdin (--config -), not on the command line, where ps would show them.
  if [[ -n ${HSERVER_USER:-} ]]; then
    secrets="user = $(quoted "$HSERVER_USER:${HSERVER_PASSWORD:-}")"
  elif [[ -n ${HSERVER_TOKEN:-} ]]; then
    secrets="header = $(quoted "Authorization: Bearer $HSERVER_TOKEN")"
  fi
  if [[ -n ${HSERVER_CACERT:-} ]]; then options+=(--cacert "$HSERVER_CACERT"); fi
  if [[ $# -ge 3 ]]; then options+=(--header 'Content-Type: application/json' --data-binary "$3"); fi

  body_file=$(mktemp)
  status=$(curl --config - "${options[@]}" --output "$body_file" --write-out '%{http_code}' "$base$path" \
    <<<"$secrets") || rc=$?
  if [[ $rc -ne 0 ]]; then
    rm -f "$body_file"
    echo "cannot reach $base (curl exit code $rc)" >&2
    exit 2
  fi
  if [[ $status -ge 400 ]]; then
    echo "HTTP $status: $(cat "$body_file")" >&2
    rm -f "$body_file"
    exit 1
  fi
  cat "$body_file"
  echo
  rm -f "$body_file"
}

[[ $# -ge 1 ]] || usage
case $1 in
  legacy)
    [[ $# -eq 2 ]] || usage
    call GET "/$(urlencode "$2")"
    ;;
  get)
    [[ $# -eq 2 ]] || usage
    call GET "$2"
    ;;
  post)
    [[ $# -eq 3 ]] || usage
    call POST "$2" "$3"
    ;;
  *) usage ;;
esac
