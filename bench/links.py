"""Links into the site: how long indexing a site of N posts takes, and choosing and placing a post's links.

    python bench/links.py [--posts 1000]

The site is made of posts of the size genpost writes (about 3,000 characters each), on a few dozen topics,
from the stand-in's sentence bank. Prints figures only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # standins/ is not installed

from pipeline.config import LinkSettings
from pipeline.site.links import LinkPlan, SiteIndex, place, section_query
from standins.fake_writer import sentence

TOPICS = [
    ("AI導入", "ロードマップ"),
    ("マーケティング自動化", "メール配信"),
    ("学習本能", "顧客心理"),
    ("SNS運用", "投稿計画"),
    ("SEO対策", "検索意図"),
    ("生成AI", "文章作成"),
    ("顧客体験", "問い合わせ対応"),
    ("価格戦略", "値付け"),
    ("ブランディング", "世界観"),
    ("動画マーケティング", "ショート動画"),
    ("データ分析", "ダッシュボード"),
    ("リピート率", "会員制度"),
]
SECTIONS = [
    ("background", "学習本能の心理学的背景", "好奇心が購買を後押しする仕組み"),
    ("trend_intro", "AIマーケティングの最新トレンド分析", "生成AIで変わる顧客体験"),
    ("trend1", "なぜこの方法が重要なのか", "AI導入の目的を整理する"),
    ("trend2", "ステップ1: 準備と計画", "ロードマップを作る"),
    ("trend3", "ステップ2: 実装と実行", "メール配信を自動化する"),
    ("trend4", "ステップ3: 測定と改善", "ダッシュボードで数字を見る"),
    ("trend5", "よくある失敗と対策", "SNS運用で投稿計画が崩れる"),
    ("steps_intro", "実践ステップ", "小さく試して広げる"),
    ("cases", "成功事例と期待できる効果", "リピート率を上げた会員制度"),
]


def make_site(root: Path, count: int) -> Path:
    posts = root / "_posts"
    posts.mkdir(parents=True)
    first = date(2022, 1, 1)
    for n in range(count):
        main, sub = TOPICS[n % len(TOPICS)]
        day = first + timedelta(days=n)
        body = "".join(sentence(n * 40 + k) for k in range(40))
        text = (
            f'---\nlayout: blog-post\ntitle: "{main}と{sub}の実践ガイド{n}"\ndate: {day.isoformat()}T01:00:00Z\n'
            f'description: "{main}の{sub}を、現場で使える形で解説します。"\ntags: ["{main}", "{sub}"]\n'
            f'seo_keywords: ["{main} {sub}"]\n---\n\n## {main}の基本\n\n{main}と{sub}について。{body[:1500]}\n\n'
            f"## {sub}の進め方\n\n{body[1500:]}\n"
        )
        (posts / f"{day.isoformat()}-post-{n}.md").write_text(text, encoding="utf-8")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = make_site(Path(tmp) / "site", args.posts)
        chars = sum(len(p.read_text(encoding="utf-8")) for p in (site / "_posts").iterdir())
        index_s, warm_s, choose_ms, place_ms = [], [], [], []
        cache = Path(tmp) / "site-index.json"
        for _ in range(args.runs):
            cache.unlink(missing_ok=True)
            started = time.perf_counter()
            SiteIndex.of_site(site, cache)
            index_s.append(time.perf_counter() - started)
            tracemalloc.start()
            started = time.perf_counter()
            index = SiteIndex.of_site(site, cache)  # the next run: every post unchanged since
            warm_s.append(time.perf_counter() - started)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            settings = LinkSettings()
            plan = LinkPlan(index, "", date(2026, 12, 1), settings.min_score, settings.per_section, settings.max_links)
            started = time.perf_counter()
            for key, heading, brief in SECTIONS:
                plan.offer(key, section_query(heading, brief, "AI マーケティング 最新トレンド"))
            choose_ms.append((time.perf_counter() - started) * 1000)
            prose = {key: "".join(sentence(k) for k in range(8)) + f"{brief}の話です。" for key, _, brief in SECTIONS}
            started = time.perf_counter()
            place(prose, plan)
            place_ms.append((time.perf_counter() - started) * 1000)
        offered, placed = sum(map(len, plan.offers.values())), len(plan.report.placed)
        rows = [
            ("index the site (read, tokenise, BM25)", f"{statistics.median(index_s):.2f} s (a site's first run)"),
            ("again, from the cache", f"{statistics.median(warm_s):.2f} s (peak {peak / 1e6:.0f} MB traced)"),
            ("the cache on disk", f"{cache.stat().st_size / 1e6:.1f} MB"),
            ("choose candidates for 9 sections", f"{statistics.median(choose_ms):.1f} ms ({offered} offered)"),
            ("place the links in the prose", f"{statistics.median(place_ms):.1f} ms ({placed} placed)"),
        ]
        print(f"site: {args.posts} posts, {chars:,} characters; {args.runs} runs, medians")
        for label, figure in rows:
            print(f"  {label:<40} {figure}")


if __name__ == "__main__":
    main()
