#!/usr/bin/env bash
# Makes sure a Docker engine answers: where none does, installs Debian's docker.io and
# docker-compose with apt-get (root), starts dockerd in the background and waits for it.
# Prints the compose command to use (`docker compose` v2, else `docker-compose` v1) on the
# last line of stdout. Exit 1 with one message when no engine can be had.
# A dockerd it started has its pid in $FAULTLINE_DOCKERD_PIDFILE (default
# /run/faultline-dockerd.pid), so whoever asked for it can stop exactly that process.
set -euo pipefail

log() { echo "ensure-docker: $*" >&2; }

engine_answers() { docker info >/dev/null 2>&1; }

if ! engine_answers; then
  if ! command -v dockerd >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
      log "no Docker engine answers and this is not a root Debian machine: start Docker yourself"
      exit 1
    fi
    log "installing docker.io and docker-compose with apt-get"
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends docker.io docker-compose >&2
  fi
  if ! engine_answers; then
    log "starting dockerd in the background (log: /var/log/faultline-dockerd.log)"
    nohup dockerd >/var/log/faultline-dockerd.log 2>&1 &
    echo $! >"${FAULTLINE_DOCKERD_PIDFILE:-/run/faultline-dockerd.pid}"
    for _ in $(seq 1 60); do
      engine_answers && break
      sleep 1
    done
    if ! engine_answers; then
      log "dockerd did not answer within 60s; last lines of its log:"
      tail -n 20 /var/log/faultline-dockerd.log >&2 || true
      exit 1
    fi
  fi
fi

if docker compose version >/dev/null 2>&1; then
  echo "docker compose"
elif command -v docker-compose >/dev/null 2>&1; then
  echo "docker-compose"
else
  log "the engine answers but neither \`docker compose\` (v2) nor \`docker-compose\` (v1) is installed"
  exit 1
fi
