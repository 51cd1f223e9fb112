# Helpers the bench scripts source.

# bench_f32_model XFC MODELS PRESET: the preset's f32 model, written into
# MODELS the first time and reused after; prints its path.
bench_f32_model() {
  local xfc=$1 models=$2 preset=$3
  local base=$models/$preset-f32.gguf
  mkdir -p "$models"
  [[ -s $base ]] || "$xfc" make-model --preset "$preset" --dtype f32 -o "$base" >&2
  echo "$base"
}

# bench_origin DIR: "<commit of DIR> on <CPU model>, <N> CPUs", which a
# report's first line names.
bench_origin() {
  echo "$(git -C "$1" rev-parse --short HEAD 2>/dev/null || echo '?') on" \
       "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
       "$(nproc) CPUs"
}

# bench_setup BUILD: sets `xfc` (BUILD's, which must exist) and `tmp` (a
# directory removed when the script exits).
bench_setup() {
  xfc=$1/bin/xfc
  [[ -x $xfc ]] || { echo "$0: no $xfc (build it first)" >&2; exit 1; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
}
