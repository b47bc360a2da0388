#!/usr/bin/env bash
# Builds a Node base image without any registry: a rootfs holding the host's own node binary
# and the shared libraries it links, imported with `docker import`. For machines where
# `FROM node:20-slim` cannot be pulled; elsewhere the Dockerfiles' default base is used.
#   scripts/build-offline-base.sh [image-tag]    (default faultline/node-offline:20)
set -euo pipefail
tag="${1:-faultline/node-offline:20}"
node_bin="$(command -v node)"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT

mkdir -p "$root/usr/local/bin" "$root/tmp" "$root/etc" "$root/app"
chmod 1777 "$root/tmp"
cp -L "$node_bin" "$root/usr/local/bin/node"
# Every library node links, and the dynamic loader itself, at the same paths as on the host.
for lib in $(ldd "$node_bin" | awk '/=>/ { print $3 } !/=>/ { print $1 }' | grep '^/'); do
  cp -L --parents "$lib" "$root"
done
echo 'root:x:0:0:root:/root:/sbin/nologin' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
echo 'hosts: files dns' >"$root/etc/nsswitch.conf"
[ -d /etc/ssl/certs ] && cp -rL --parents /etc/ssl/certs "$root" 2>/dev/null || true

tar -C "$root" -c . | docker import \
  -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  -c 'WORKDIR /app' \
  -c 'CMD ["node"]' \
  - "$tag" >/dev/null
echo "$tag ($(docker run --rm "$tag" node --version))"
