"""Image rules: alt text, an Unsplash credit on each photo, URLs that set each parameter once."""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qsl, urlsplit

from pipeline.document import HERO, Kind
from pipeline.quality.context import Check
from pipeline.types import Finding


def alt_and_credit(c: Check) -> list[Finding]:
    out = []
    for image in c.doc.images:
        if not image.alt.strip():
            out.append(
                c.finding(
                    "images.alt", "error", "an image without alt text", "画像に代替テキストがありません", image.line
                )
            )
        if "Unsplash" not in image.credit or "<a " not in image.credit:
            out.append(
                c.finding(
                    "images.credit",
                    "error",
                    f"no Unsplash credit under `{image.alt}`",
                    f"画像「{image.alt}」に Unsplash のクレジットがありません",
                    image.line,
                )
            )
    hero_credited = any("Unsplash" in b.markdown for b in c.doc.of_kind(Kind.CREDIT) if b.part == HERO)
    if c.doc.front.image and not hero_credited:
        out.append(
            c.finding(
                "images.credit",
                "error",
                "no Unsplash credit for the front-matter image",
                "アイキャッチ画像に Unsplash のクレジットがありません",
                1,
            )
        )
    return out


def repeated_parameters(c: Check) -> list[Finding]:
    urls: list[tuple[str, int | None]] = [(i.url, i.line) for i in c.doc.images]
    if c.doc.front.image:
        urls.append((c.doc.front.image, 1))
    try:
        data = c.doc.json_ld()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("image"), str):
        urls.append((data["image"], c.doc.json_ld_blocks[0].line))
    out = []
    for url, line in urls:
        counts = Counter(k for k, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True))
        repeated = sorted(k for k, n in counts.items() if n > 1)
        if repeated:
            names = ", ".join(f"{k}= ×{counts[k]}" for k in repeated)
            out.append(
                c.finding(
                    "images.url-params",
                    "error",
                    f"an image URL repeats {names}",
                    f"画像URLのパラメーターが重複しています（{names}）",
                    line,
                    excerpt=url,
                )
            )
    return out


RULES = (alt_and_credit, repeated_parameters)
