#!/usr/bin/env bash
# The README's two commands:
#   bash scripts/dev.sh demo   set up everything, load the demo county, start the app
#   bash scripts/dev.sh test   set up everything, run the linter and the whole test suite
# Setup installs missing Debian packages (PostgreSQL, PostGIS, Chromium and CJK fonts for the
# tests), makes .venv with the project installed, and starts a project-local database cluster
# when DATABASE_URL is unset. Each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1m[shuijian]\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else log "need root to run: $*"; exit 1; fi
}

missing_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || echo "$pkg"
  done
}

apt_install() {
  local missing
  missing=$(missing_packages "$@")
  [ -z "$missing" ] && return 0
  log "installing Debian packages: $(echo $missing)"
  if [ -z "${APT_UPDATED:-}" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  # shellcheck disable=SC2086
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
}

pick_python() {
  local candidate
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null &&
       "$candidate" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

setup_system() {
  local want_browser=$1
  command -v dpkg-query >/dev/null || { log "not a Debian system: install PostgreSQL with PostGIS, Python >= 3.11 yourself"; return 0; }
  if ! pick_python >/dev/null; then apt_install python3 python3-venv python3-dev; fi
  if [ -z "${DATABASE_URL:-}" ] || [ "$want_browser" = yes ]; then
    apt_install postgresql postgresql-contrib
    local major
    major=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
    apt_install "postgresql-${major}-postgis-3"
  fi
  # A TrueType CJK font for the bulletin's PDF (reportlab cannot embed the CFF Noto fonts).
  apt_install fonts-wqy-zenhei
  if [ "$want_browser" = yes ]; then apt_install chromium fonts-noto-cjk poppler-utils; fi
}

setup_python() {
  local py
  py=$(pick_python) || { log "Python >= 3.11 with venv is required"; exit 1; }
  if [ ! -x .venv/bin/python ]; then
    log "creating .venv with $py"
    "$py" -m venv .venv
  fi
  local stamp=.venv/.installed
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    log "installing Python packages"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[test]'
    touch "$stamp"
  fi
}

case "${1:-}" in
  demo)
    setup_system no
    setup_python
    # A demonstration must start on any day, also past the years the holiday calendar knows
    # (README, "Working days"); a real deployment leaves this unset and gets a clear error.
    export SHUIJIAN_HOLIDAYS_UNKNOWN="${SHUIJIAN_HOLIDAYS_UNKNOWN:-weekdays}"
    .venv/bin/shuijian db up
    .venv/bin/shuijian demo
    .venv/bin/shuijian check-grid
    exec .venv/bin/shuijian serve
    ;;
  test)
    setup_system yes
    setup_python
    .venv/bin/ruff check .
    # Both cores (pytest-xdist, -n 2): CI has 90 minutes for every pass below.
    .venv/bin/python -m pytest -q -n 2
    # CI runs on whatever day it is: the tests that read today run again as if it were each
    # of these days (1 Jan at 00:30, the 旬 boundaries, month ends, 29 Feb; tests/clock.py).
    # Those marked clock under all nine; clock_sample (today read only in passing) under the
    # first two; the browser ones, slow to start, under the first.
    n=0
    for day in $(.venv/bin/python -c 'from tests.clock import FROZEN_DATES; print(*FROZEN_DATES)'); do
      n=$((n + 1))
      case $n in
        1) marks="clock or clock_sample" ;;
        2) marks="(clock or clock_sample) and not browser" ;;
        *) marks="clock and not browser" ;;
      esac
      log "tests that read today, as on $day ($marks)"
      SHUIJIAN_TEST_DATE=$day .venv/bin/python -m pytest -q -p no:cacheprovider -n 2 -m "$marks"
    done
    ;;
  *)
    echo "usage: bash scripts/dev.sh demo|test" >&2
    exit 2
    ;;
esac
