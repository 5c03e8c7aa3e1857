#!/usr/bin/env bash
# Makes the demonstration videos and posters of the インターネット放送局 pages (committed under
# content/media/files/) from their captions: a title card as long as the WebVTT track.
# Needs Debian's ffmpeg and fonts-noto-cjk; not part of the build.
set -euo pipefail
cd "$(dirname "$0")/../../content/media"
font=/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc
for page in *.md; do
  slug=$(sed -n 's/^Slug: *//p' "$page")
  title=$(sed -n 's/^Title: *//p' "$page")
  end=$(grep -- '-->' "files/$slug.vtt" | tail -1 | sed 's/.*--> *//')
  seconds=$(python3 -c "h,m,s='$end'.split(':');print(int(h)*3600+int(m)*60+float(s)+1)")
  text="drawtext=fontfile=$font:text='$title':fontcolor=white:fontsize=26:x=(w-text_w)/2:y=h/2-40"
  band="drawtext=fontfile=$font:text='宮城県インターネット放送局':fontcolor=white:fontsize=18:x=(w-text_w)/2:y=h/2+20"
  clock="drawtext=fontfile=$font:text='%{pts\:hms}':fontcolor=white:fontsize=16:x=w-text_w-16:y=h-32"
  ffmpeg -loglevel error -y -f lavfi -i "color=c=0x0a4a7a:s=640x360:r=2:d=$seconds" \
    -vf "$text,$band,$clock" -c:v libvpx-vp9 -b:v 60k -an "files/$slug.webm"
  ffmpeg -loglevel error -y -i "files/$slug.webm" -frames:v 1 "files/$slug.png"
done
