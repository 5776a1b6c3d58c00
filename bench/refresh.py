"""`genpost refresh --list` over a site of N posts of the size genpost writes, aged in every way it looks for.

    python bench/refresh.py [--posts 100] [--delay 0.05]

Each post is about 3,000 characters from the stand-in's sentence bank, with a lead, two sections and a footnote
citing a page on the loopback web stand-in (answering after `--delay` seconds, as a network would). By its number
a post has a past year in its title, in a heading or in its seo_keywords, a source that is dead, moved or about
to change, a figure with no source, an internal link to nowhere, fourteen months on a calendar keyword, or none
of these; a tenth are marked `refresh: keep`. The list is made three times: with every source fetched for the
first time; after a tenth of the sources changed (fetched again: `sources.cache_hours: 0`); and from the cache
(`sources.cache_hours: 168`, the default). Then `genpost check --site` checks every post at once. Prints figures
only.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # standins/ is not installed

from pipeline.cli import main as genpost
from standins.fake_writer import sentence
from standins.web import MovedStandIn, WebStandIn, page

KINDS = (
    "year.title",
    "year.heading",
    "source.dead",
    "source.moved",
    "source.changed",
    "claims.unsourced",
    "links.unresolved",
    "age",
    "fresh",
    "keep",
)
HTML = "text/html; charset=utf-8"


def source_page(n: int, version: int) -> bytes:
    return page(f"調査{n}", [f"回答した企業の{20 + n + version}.5%が導入していました。", sentence(n)]).encode()


def make_site(root: Path, count: int, web: WebStandIn, moved: MovedStandIn, today: date) -> Path:
    posts = root / "_posts"
    posts.mkdir(parents=True)
    (root / "_config.yml").write_text("title: bench\ntimezone: Asia/Tokyo\n", encoding="utf-8")
    past = today.year - 1
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        day = today - timedelta(days=430 if kind == "age" else 20 + n % 200)
        body = "".join(sentence(n * 40 + k) for k in range(40))
        web.documents[f"/bench/{n}.html"] = (HTML, source_page(n, 0))
        url = {
            "source.dead": web.url(f"bench/gone-{n}.html"),
            "source.moved": f"{moved.root}/bench/{n}.html",
        }.get(kind, web.url(f"bench/{n}.html"))
        title = f"{past}年版 実践ガイド{n}" if kind in ("year.title", "keep") else f"実践ガイド{n}"
        heading = f"{past}年の振り返り" if kind == "year.heading" else "基本の考え方"
        keywords = ["AI マーケティング 最新トレンド" if kind == "age" else f"実践ガイド{n}"]
        if n % 7 == 0:
            keywords.append(f"実践 {past}")
        lead = "売上が約30%向上しました。" if kind == "claims.unsourced" else "実践の考え方をまとめます。"
        link = "[古いガイドの記事](/2019/01/01/gone.html)も参考になります。" if kind == "links.unresolved" else ""
        words = ", ".join(f'"{k}"' for k in keywords)
        text = (
            f'---\nlayout: post\ntitle: "{title}"\ndate: {day.isoformat()}T01:00:00Z\n'
            f'description: "実践ガイドです。"\ntags: [{words}]\nseo_keywords: [{words}]\n'
            + ("refresh: keep\n" if kind == "keep" else "")
            + f"---\n\n{lead}{link}\n\n## {heading}\n\n{body[:1500]}[^1]\n\n## 進め方\n\n{body[1500:]}\n\n"
            f"[^1]: 調査{n} — Example (閲覧日 2026-01-05) <{url}>\n"
        )
        (posts / f"{day.isoformat()}-guide-{n}.md").write_text(text, encoding="utf-8")
    return root


def listed(site: Path, out: Path) -> tuple[float, list[dict]]:
    stdout, stderr = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = genpost(["refresh", "--list", "--site", str(site), "--out", str(out), "--json"])
    seconds = time.perf_counter() - started
    if code != 0:
        raise SystemExit(stderr.getvalue())
    return seconds, json.loads(stdout.getvalue())


def checked(site: Path) -> tuple[float, int]:
    """`genpost check --site` over every post of the site at once: seconds, and findings."""
    stdout, stderr = io.StringIO(), io.StringIO()
    posts = sorted(str(p) for p in (site / "_posts").glob("*.md"))
    started = time.perf_counter()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        genpost(["check", "--site", str(site), "--json", *posts])  # exit 1: the aged posts have errors
    seconds = time.perf_counter() - started
    return seconds, sum(len(report["findings"]) for report in json.loads(stdout.getvalue()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds each source page takes to answer")
    args = parser.parse_args()
    today = date.today()
    with tempfile.TemporaryDirectory() as tmp, WebStandIn() as web:
        web.delay_s = args.delay
        with MovedStandIn(web.url("survey.html")) as moved:
            root = Path(tmp)
            site = make_site(root / "site", args.posts, web, moved, today)
            out = root / "out"
            config = root / "genpost.yml"
            os.environ["GENPOST_CONFIG"] = str(config)
            config.write_text("sources:\n  cache_hours: 0\n", encoding="utf-8")
            cold, first = listed(site, out)
            for n in range(args.posts):
                if KINDS[n % len(KINDS)] == "source.changed":
                    web.documents[f"/bench/{n}.html"] = (HTML, source_page(n, 1))
            again, second = listed(site, out)
            config.write_text("sources:\n  cache_hours: 168\n", encoding="utf-8")
            cached, third = listed(site, out)
            check_s, findings = checked(site)
    urls = args.posts - args.posts // len(KINDS)  # the kept posts' sources are never asked for
    print(f"site: {args.posts} posts of about 3,000 characters, {urls} cited sources ({args.delay:g} s a page)")
    print(f"  first list (every source fetched):          {cold:5.2f} s, {len(first)} posts listed")
    print(f"  after sources changed (fetched again):      {again:5.2f} s, {len(second)} posts listed")
    print(f"  from the cache (sources.cache_hours: 168):  {cached:5.2f} s, {len(third)} posts listed")
    print(f"  check --site over every post:               {check_s:5.2f} s, {findings} findings")
    found = Counter(r["code"] for item in second for r in item["reasons"])
    print("reasons found (second list):")
    for code, count in sorted(found.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {code:<20} {count}")
    top = second[0] if second else None
    if top:
        print(f"most urgent: {top['file']} (score {top['score']}: {', '.join(r['code'] for r in top['reasons'])})")


if __name__ == "__main__":
    main()
