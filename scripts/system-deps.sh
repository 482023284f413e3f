#!/usr/bin/env bash
# The Debian packages the test suite needs beyond Python (see README, "The two commands"):
#   nginx               tests/integration/ops/test_nginx.py runs deploy/nginx/ for real
#   postgresql-client   pg_dump / pg_restore for `concord backup` / `restore` on PostgreSQL
# Run by `make test`. As root it installs what is missing (apt-get); otherwise it says what to
# install and fails, so that no test ever skips for want of a program.
set -euo pipefail

declare -A PROGRAM=([nginx]=nginx [pg_dump]=postgresql-client [pg_restore]=postgresql-client)
missing=()
for program in "${!PROGRAM[@]}"; do
    if ! command -v "$program" > /dev/null 2>&1 && [ ! -x "/usr/sbin/$program" ]; then
        missing+=("${PROGRAM[$program]}")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')

if [ "$(id -u)" -ne 0 ]; then
    echo "make test needs these Debian packages: ${packages}" >&2
    echo "install them (sudo apt-get install -y ${packages}) or run make test as root" >&2
    exit 1
fi
echo "system-deps: installing ${packages}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends ${packages} > /dev/null
# The tests run nginx on their own ports; a packaged nginx must not hold port 80 meanwhile.
if command -v systemctl > /dev/null 2>&1; then systemctl disable --now nginx > /dev/null 2>&1 || true; fi
