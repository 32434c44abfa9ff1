#!/usr/bin/env bash
# Builds the ImageNet-sized JPEG folder that README's `pretrain bench data` figures were measured on:
# 600 random 4:3 crops of the 12 photographs among Debian's KDE wallpapers, resized to 500x375 and
# saved as JPEG q90 (4:4:4 as ImageMagick writes q90, or 4:2:0 like most ImageNet files with --420),
# in 10 class folders; each file is stored 5 times (3000 samples) so a benchmark never reaches an
# epoch boundary. Needs apt (download only) and ImageMagick's `convert`.
#   scripts/bench/make_photo_jpegs.sh OUT_DIR [--420]
set -euo pipefail
out=${1:?usage: make_photo_jpegs.sh OUT_DIR [--420]}
sampling=()
[[ "${2:-}" == "--420" ]] && sampling=(-sampling-factor 2x2)
command -v convert >/dev/null || { echo "needs ImageMagick (apt-get install imagemagick)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download plasma-workspace-wallpapers >/dev/null && dpkg-deb -x plasma-workspace-wallpapers_*.deb x)
photos=(Autumn BytheWater ColdRipple ColorfulCups DarkestHour EveningGlow FallenLeaf Grey Kite OneStandsOut Path summer_1am)
for i in "${!photos[@]}"; do
  convert "$work/x/usr/share/wallpapers/${photos[$i]}/contents/images/2560x1600.jpg" -resize 1600x1000 "$work/$i.ppm"
done
make_range() {
  for ((n = $1; n < $2; n++)); do
    local cls=c$((n % 10)); mkdir -p "$out/$cls"
    RANDOM=$n
    local w=$((600 + RANDOM % 1000)); local h=$((w * 3 / 4))
    if ((h > 1000)); then h=1000; w=1333; fi
    local x=$((RANDOM % (1600 - w + 1))) y=$((RANDOM % (1000 - h + 1)))
    convert "$work/$((n % 12)).ppm" -crop "${w}x${h}+$x+$y" +repage -resize '500x375!' "${sampling[@]}" -quality 90 "$out/$cls/img${n}_0.jpg"
    for k in 1 2 3 4; do cp "$out/$cls/img${n}_0.jpg" "$out/$cls/img${n}_$k.jpg"; done
  done
}
make_range 0 300 & make_range 300 600 & wait
echo "$(find "$out" -name '*.jpg' | wc -l) JPEGs in $out"
