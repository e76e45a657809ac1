#!/usr/bin/env bash
# Install the Debian packages the build and test suite need: python3-venv (Debian's
# python3 cannot `python3 -m venv` without it), Chromium (e2e tests), PostgreSQL
# (scripts/with-postgres.sh) and wrk (make bench).
#
# As root (CI): apt-get installs whatever is missing, with at most one `apt-get update`.
# Not root (a laptop): never touches the system; prints what is missing and exits 0.
# The e2e tests then fall back to Playwright's own browser and the PostgreSQL tests skip.
set -euo pipefail

missing=()

# Debian splits ensurepip (needed by `python3 -m venv`) into python3.X-venv.
if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    missing+=("python$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv")
fi

if ! command -v chromium >/dev/null 2>&1 && [[ ! -x /usr/lib/chromium/chromium ]]; then
    missing+=(chromium)
fi
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    missing+=(postgresql)
fi
# The HTTP load generator of `make bench` (bench/memory.py falls back to httpx without it).
if ! command -v wrk >/dev/null 2>&1; then
    missing+=(wrk)
fi
# Fonts so that e2e screenshots render text instead of boxes.
if [[ ! -d /usr/share/fonts/truetype/dejavu ]]; then
    missing+=(fonts-dejavu-core)
fi

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "note: system packages missing: ${missing[*]}" >&2
    echo "      (Debian/Ubuntu: sudo apt-get install --no-install-recommends ${missing[*]})" >&2
    echo "      Without chromium the e2e tests use Playwright's browser" \
         "(.venv/bin/playwright install chromium); without postgresql the PostgreSQL tests skip." >&2
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: running as root but apt-get is not available; install ${missing[*]} yourself" >&2
    exit 1
fi

echo "installing system packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
