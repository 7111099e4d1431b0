# Helpers for scripts/setup.sh (sourced).

SETUP_STARTED=$(date +%s%N)

# With set -E, any failing command (not only those routed through fail) names itself.
trap 'echo "${RED:-}error:${RESET:-} setup stopped: \"$BASH_COMMAND\" failed (exit $?, ${BASH_SOURCE[0]##*/}:$LINENO)" >&2' ERR
STEP_NUMBER=0

# Logs go to /var/log/vetbox when we may write there, else to .vetbox/logs in the checkout.
LOG_DIR=${VETBOX_LOG_DIR:-/var/log/vetbox}
if ! mkdir -p "$LOG_DIR" 2>/dev/null || [ ! -w "$LOG_DIR" ]; then
  LOG_DIR="$REPO_ROOT/.vetbox/logs"
  mkdir -p "$LOG_DIR"
fi

if [ -t 1 ]; then BOLD=$'\e[1m' DIM=$'\e[2m' RED=$'\e[31m' YELLOW=$'\e[33m' RESET=$'\e[0m'
else BOLD='' DIM='' RED='' YELLOW='' RESET=''; fi

note() { echo "    $*"; }
warn() { echo "    ${YELLOW}warning:${RESET} $*" >&2; }

# fail MESSAGE [LOG]: print the message and the end of the log, then stop setup.
fail() {
  echo "${RED}error:${RESET} $1" >&2
  if [ -n "${2:-}" ] && [ -f "$2" ]; then
    echo "--- last lines of $2:" >&2
    tail -n 25 "$2" >&2
    echo "---" >&2
  fi
  exit 1
}

elapsed_since() { # nanosecond timestamp -> "1.2 s"
  local ms=$(( ($(date +%s%N) - $1) / 1000000 ))
  printf '%d.%d s' $((ms / 1000)) $((ms % 1000 / 100))
}

# run_step ID TITLE FUNCTION. VETBOX_SETUP_SKIP="id id" skips steps (e.g. sandbox-image on a
# machine where another process is building it).
run_step() {
  local id=$1 title=$2 started
  STEP_NUMBER=$((STEP_NUMBER + 1))
  started=$(date +%s%N)
  echo "${BOLD}==> [$STEP_NUMBER] $title${RESET}"
  if [[ " ${VETBOX_SETUP_SKIP:-} " == *" $id "* ]]; then
    note "skipped (VETBOX_SETUP_SKIP contains $id)"
    return
  fi
  "$3"
  echo "    ${DIM}($(elapsed_since "$started"))${RESET}"
}

# wait_for LABEL SECONDS COMMAND...: poll every 0.5 s until COMMAND succeeds.
wait_for() {
  local label=$1 deadline=$(( $(date +%s) + $2 ))
  shift 2
  until "$@"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "    gave up waiting for $label" >&2
      return 1
    fi
    sleep 0.5
  done
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else fail "'$*' needs root and sudo is not available"; fi
}

dpkg_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

require_node() {
  local major
  command -v node >/dev/null || fail "Node.js >= $1 is required (node is not on PATH)"
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge "$1" ] || fail "Node.js >= $1 is required (found $(node --version))"
}
