# Sourced by the scripts: sets the array PRETRAIN_CMD to the published pretrain, without building.
# Order: $PRETRAIN (a launcher, an executable, or a pretrain.dll run with dotnet), `pretrain` on PATH,
# this checkout's dist/bin/pretrain (scripts/publish.sh's default prefix). Nothing found: one line, exit 2.
find_pretrain() {
  local repo
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  if [ -n "${PRETRAIN:-}" ]; then
    case "$PRETRAIN" in
      *.dll) PRETRAIN_CMD=(dotnet "$PRETRAIN") ;;
      *) PRETRAIN_CMD=("$PRETRAIN") ;;
    esac
  elif command -v pretrain >/dev/null 2>&1; then
    PRETRAIN_CMD=(pretrain)
  elif [ -x "$repo/dist/bin/pretrain" ]; then
    PRETRAIN_CMD=("$repo/dist/bin/pretrain")
  else
    echo "pretrain not found: run scripts/publish.sh once (or put a published pretrain on PATH, or set PRETRAIN=path/to/pretrain.dll)" >&2
    exit 2
  fi
}
