#!/usr/bin/env bash
# Make sure the machine has what the Python packages can't bring: PostgreSQL server binaries
# (for the embedded warehouse), Tesseract with Vietnamese data (OCR of scanned reports), and
# LibreOffice Writer, poppler and Liberation fonts (the monthly report's PDF, `dlxh report`), and
# Chromium (the dashboard's browser test), and Redis (the Celery broker).
# Installs them with apt-get when run as root (or with passwordless sudo); otherwise says how.
set -uo pipefail

have_pg() {
  command -v initdb >/dev/null 2>&1 && return 0
  command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ] && return 0
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && return 0
  return 1
}
have_ocr() {
  command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx vie
}

missing=()
have_pg || missing+=(postgresql)
have_ocr || missing+=(tesseract-ocr tesseract-ocr-vie)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-writer-nogui)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
fc-list 2>/dev/null | grep -q "Liberation Serif" || missing+=(fonts-liberation2)
# Headless Chromium: the dashboard test (tests/test_bi_superset.py) looks at the rendered Superset page.
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# Redis: the Celery broker of `dlxh airflow standalone --executor celery` (started by the tool, loopback only).
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
fi
if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; }; then
  echo "• installing system packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  exit $?
fi
echo "• missing system packages: ${missing[*]}" >&2
echo "  Debian/Ubuntu: sudo apt-get install -y ${missing[*]}" >&2
echo "  (without PostgreSQL binaries set DLXH_DATABASE_URL to an existing server; without Tesseract scanned reports are quarantined)" >&2
exit 0
