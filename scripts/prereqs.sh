#!/usr/bin/env bash
# Installs what the build needs (`prereqs.sh build`) or the build and the tests (`prereqs.sh`),
# when it is missing. oxigraph's bundled RocksDB needs libclang (bindgen) and a C++ compiler.
set -euo pipefail

need=()
dpkg -s libclang-dev >/dev/null 2>&1 || need+=(libclang-dev)
command -v g++ >/dev/null 2>&1 || need+=(g++)
install() {
  if ((${#need[@]})); then
    echo "installing: ${need[*]}" >&2
    sudo_cmd=()
    [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}"
  fi
}
if [[ "${1:-}" == build ]]; then
  install
  exit 0
fi
command -v python3 >/dev/null 2>&1 || need+=(python3)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
# STILTS: taplint (the IVOA's TAP validator) and votlint check the TAP service.
command -v stilts >/dev/null 2>&1 || need+=(stilts)
# PostgreSQL: the second backend of the relational registry; the tests start their own servers.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
# haproxy: the balancer in front of the writer and the readers of the replica tests.
command -v haproxy >/dev/null 2>&1 || [[ -x /usr/sbin/haproxy ]] || need+=(haproxy)
# The portal's browser tests: Debian's Chromium (driven by Playwright, never downloaded by it)
# and Node.js for axe-core.
[[ -x /usr/bin/chromium ]] || need+=(chromium)
command -v npm >/dev/null 2>&1 || need+=(npm)

install

# The Python clients the tests use (sickle…), pinned, in a virtualenv under target/.
cd "$(dirname "$0")/.."
venv=target/venv
stamp="$venv/.requirements"
if ! cmp -s scripts/requirements-test.txt "$stamp" 2>/dev/null; then
  echo "installing the test clients into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
  cp scripts/requirements-test.txt "$stamp"
fi

# axe-core, injected into the pages by the browser tests, pinned, under target/npm.
axe_version=4.14.1
axe=target/npm/node_modules/axe-core
if [[ "$(cat "$axe/.pinned" 2>/dev/null)" != "$axe_version" ]]; then
  echo "installing axe-core $axe_version into target/npm" >&2
  mkdir -p target/npm
  npm install --silent --no-audit --no-fund --prefix target/npm "axe-core@$axe_version"
  echo "$axe_version" > "$axe/.pinned"
fi
