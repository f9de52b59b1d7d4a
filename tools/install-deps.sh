#!/bin/sh
# Installs the Debian packages the build and tests need, if any is missing.
# Run by `make` before the first build; safe to run again (does nothing then).
set -eu

PKGS="gcc make libc6-dev libssl-dev libleveldb-dev libsecp256k1-dev libnng-dev nng-utils \
libjansson-dev libcmocka-dev python3 tzdata \
libcairo2-dev libpango1.0-dev libqrencode-dev zlib1g-dev pkg-config fonts-wqy-zenhei fonts-dejavu-core \
poppler-utils zbar-tools prometheus systemd"
# The last two lines: `notary certificate` (cairo, pango and libqrencode draw
# the PDF, zlib packs the receipt, WenQuanYi Zen Hei sets the Chinese,
# DejaVu the Latin and the machine-readable block), and the tools its tests
# read certificates back with (pdftotext, pdfinfo, pdftoppm; zbarimg);
# prometheus for promtool, which tests/it_metrics.py checks /metrics with;
# systemd for systemd-analyze, which tests/it_service.py checks the unit with.
# `make fuzz` alone needs clang's libFuzzer: `install-deps.sh fuzz`.
if [ "${1:-}" = fuzz ]; then
	PKGS="clang-14 libclang-rt-14-dev"
fi
# The verification page's browser tests (tests/it_web.py) alone need
# Chromium, and a Chinese font for its screenshots: `install-deps.sh web`
# (make test runs it when node and npm are there to build the page).
if [ "${1:-}" = web ]; then
	PKGS="chromium fonts-wqy-zenhei"
fi

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

echo "install-deps: missing Debian packages:$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "install-deps: not root and no sudo; please run as root: apt-get install$missing" >&2
	exit 1
fi
echo "install-deps: running apt-get install (as root)"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
echo "install-deps: done"
