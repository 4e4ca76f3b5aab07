# Shared by scripts/test and scripts/demo: install what is missing (Debian packages only) and
# build. Sourced, not run.

MADOGUCHI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_DIR="${MADOGUCHI_BUILD_DIR:-$MADOGUCHI_ROOT/build}"

# Everything the build, the tests and the demo need, from Debian 12's archive.
MADOGUCHI_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libboost-dev libsqlite3-dev libssl-dev libmosquitto-dev mosquitto-dev nlohmann-json3-dev catch2
  libsodium-dev libmstch-dev
  libqrencode-dev libstb-dev
  # QR scanners over USB and QR codes on scanned pages (drivers/scanner, drivers/imaging).
  libusb-1.0-0-dev libzxing-dev
  # Excel workbooks (drivers/xlsx); zlib reads them back in its test.
  libxlsxwriter-dev zlib1g-dev
  libcurl4-openssl-dev python3-aiosmtpd  # mail over SMTP (drivers/mail); its test's SMTP server
  # Certificates as PDF (drivers/certpdf): Pango, HarfBuzz and cairo with IPAmj Mincho; poppler's
  # pdftotext and pdffonts read them back in the tests.
  libpango1.0-dev libcairo2-dev fonts-ipamj-mincho poppler-utils
  clang libclang-rt-14-dev
  mosquitto openssl curl sqlite3
  nginx  # madoguchi-bench portal: the static baseline next to the citizen site
  # The staff console's browser tests (tests/e2e): Chromium, Japanese fonts for its screenshots,
  # node and npm for playwright-core (installed by npm ci from tests/e2e/package-lock.json).
  chromium fonts-noto-cjk nodejs npm
)

log() { printf '\033[1m[madoguchi]\033[0m %s\n' "$*" >&2; }

ensure_packages() {
  local missing=()
  for p in "${MADOGUCHI_PACKAGES[@]}"; do
    # Node.js from another source (nodesource, nvm, the machine image) serves as well as Debian's;
    # installing Debian's npm over it would conflict.
    if [[ $p == nodejs ]] && command -v node >/dev/null; then continue; fi
    if [[ $p == npm ]] && command -v npm >/dev/null; then continue; fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing: ${missing[*]}"
    if [[ $(id -u) -ne 0 ]]; then
      log "these Debian packages are missing and installing them needs root: ${missing[*]}"
      exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

build_all() {
  local jobs
  jobs=$(nproc 2>/dev/null || echo 2)
  if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
    log "configuring in $BUILD_DIR"
    cmake -S "$MADOGUCHI_ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMADOGUCHI_WERROR=ON >/dev/null
  fi
  log "building (${jobs} jobs)"
  cmake --build "$BUILD_DIR" -j "$jobs"
}
