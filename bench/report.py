"""The site report for a large site: a generated 1,000-post Jekyll site and a 10,000-row Search Console export
(compare mode: 2,000 page rows, 8,000 query rows); time and peak memory of `genpost report`, cold (no site
index cache) and warm.

python bench/report.py [--posts 1000] [--rows 10000]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import random
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.cli import main as genpost

WORDS = [
    "生成AI",
    "メール",
    "SEO",
    "内部リンク",
    "LINE",
    "配信",
    "SNS",
    "運用",
    "展示会",
    "顧客",
    "アンケート",
    "広告",
    "予算",
    "動画",
    "採用",
    "ブランド",
    "ウェビナー",
    "営業",
    "分析",
    "改善",
]


def build_site(root: Path, posts: int, rng: random.Random) -> list[str]:
    (root / "_posts").mkdir(parents=True)
    (root / "_config.yml").write_text("title: bench\nurl: https://example.jp\nbaseurl: ''\n", encoding="utf-8")
    names = []
    for n in range(posts):
        words = rng.sample(WORDS, 3)
        name = f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}-post-{n}"
        links = "".join(
            f"[関連]({{% post_url {names[k]} %}})" for k in rng.sample(range(len(names)), min(2, len(names)))
        )
        body = f"{words[0]}と{words[1]}の{words[2]}について説明します。" * 20
        text = (
            f"---\ntitle: {words[0]}{words[1]}の{words[2]} {n}\ntags: [{words[0]}]\nseo_keywords: "
            f"['{' '.join(words)}']\n---\n\n{body}\n\n## {words[2]}のポイント\n\n{body}{links}\n"
        )
        (root / "_posts" / f"{name}.md").write_text(text, encoding="utf-8")
        names.append(name)
    return names


def build_export(path: Path, names: list[str], rows: int, rng: random.Random) -> None:
    pages, queries = io.StringIO(), io.StringIO()
    head = ["Last 3 months {m}", "Previous 3 months {m}"]
    metrics = ["Clicks", "Impressions", "CTR", "Position"]
    columns = [h.format(m=m) for m in metrics for h in head]
    for writer, key, count in (
        (csv.writer(pages), "Top pages", rows // 5),
        (csv.writer(queries), "Top queries", rows - rows // 5),
    ):
        writer.writerow([key, *columns])
        for n in range(count):
            if key == "Top pages":
                label = (
                    f"https://example.jp/{names[n % len(names)][:4]}/{n}/"
                    if n >= len(names)
                    else (f"https://example.jp/{names[n][:4]}/{names[n][5:7]}/{names[n][8:10]}/{names[n][11:]}.html")
                )
            else:
                label = " ".join(rng.sample(WORDS, 2)) + f" {n}"
            clicks, before = rng.randint(0, 300), rng.randint(0, 300)
            shown, shown_before = rng.randint(50, 9000), rng.randint(50, 9000)
            writer.writerow(
                [
                    label,
                    clicks,
                    before,
                    shown,
                    shown_before,
                    f"{100 * clicks / shown:.2f}%",
                    f"{100 * before / shown_before:.2f}%",
                    round(rng.uniform(1, 40), 1),
                    round(rng.uniform(1, 40), 1),
                ]
            )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Pages.csv", pages.getvalue())
        archive.writestr("Queries.csv", queries.getvalue())


def run(site: Path, export: Path, target: Path, drafts: Path) -> float:
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = genpost(
            ["report", "--site", str(site), "--performance", str(export), "--out", str(target), "--drafts", str(drafts)]
        )
    if code != 0:
        raise SystemExit(f"report failed with exit {code}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=10000)
    args = parser.parse_args()
    rng = random.Random(32)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        names = build_site(root / "site", args.posts, rng)
        build_export(root / "export.zip", names, args.rows, rng)
        cold = run(root / "site", root / "export.zip", root / "report.html", root / "out")
        warm = run(root / "site", root / "export.zip", root / "report.html", root / "out")
        size = (root / "report.html").stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"report: {args.posts:,} posts, {args.rows:,}-row export")
    print(f"  cold (site index built): {cold:.1f} s")
    print(f"  warm (index cached):     {warm:.1f} s")
    print(f"  peak memory:             {peak:.0f} MB")
    print(f"  report size:             {size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
