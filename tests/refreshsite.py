"""A site whose posts have each aged for one reason (and one marked `refresh: keep`, one fresh, one old post on a
topic the calendar no longer uses): for `genpost refresh`. Dates and years are relative to today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pipeline.sources.extract import extract
from pipeline.sources.fetch import text_hash
from pipeline.types import Brief, Citation, ImageQueries, Passage, Plan, RunRecord, Source
from standins.web import MovedStandIn, WebStandIn, page
from tests.conftest import make_site

CHANGING = "/refresh/changing.html"
STEADY = "/refresh/steady.html"
GONE = "/refresh/gone.html"
HTML = "text/html; charset=utf-8"
CHANGING_BEFORE = page("広告効果の調査", ["動画広告を使う企業は31.5%でした。", "調査は国内の企業500社に行いました。"])
CHANGING_AFTER = page("広告効果の調査", ["動画広告を使う企業は47.2%でした。", "調査は国内の企業800社に行いました。"])
STEADY_PAGE = page("読者調査", ["メールを毎週読む読者は半数ほどでした。", "調査は読者1,000人に行いました。"])
FIGURES = "/refresh/figures.html"
FIGURES_PAGE = page("導入調査", ["チャットボットを導入した企業は42.0%でした。", "調査は国内の企業600社に行いました。"])


@dataclass(frozen=True)
class Days:
    """The dates the site's posts are given, from today."""

    today: date

    @property
    def past(self) -> int:
        return self.today.year - 1

    @property
    def recent(self) -> str:
        return (self.today - timedelta(days=20)).isoformat()

    @property
    def old(self) -> str:
        return (self.today - timedelta(days=430)).isoformat()


def post(
    title: str, day: str, body: str, keywords: list[str], extra: str = "", description: str = "記事の説明です。"
) -> str:
    words = ", ".join(f'"{k}"' for k in keywords)
    return (
        f'---\nlayout: blog-post\ntitle: "{title}"\ndate: {day}T01:00:00Z\ncategories: [テスト]\n'
        f'description: "{description}"\ntags: [{words}]\nseo_keywords: [{words}]\n{extra}---\n\n{body}'
    )


def multi(days: Days, steady: str) -> str:
    """The post a refresh rewrites: a past year in its title, keywords and a heading, a figure with no source; and
    parts with no reason at all (the lead, a list under an image, a quote, a footnote), which must not change."""
    return (
        "---\n"
        "layout: blog-post\n"
        f'title: "{days.past}年版 メール配信の見直し方"\n'
        f"date: {days.recent}T01:00:00Z\n"
        "categories: [メール]\n"
        "# 編集部のメモ: この行はそのまま残ります\n"
        "tags:\n"
        "  - メール配信\n"
        "  - 見直し\n"
        f'seo_keywords: ["メール配信 見直し {days.past}", "開封率 改善"]\n'
        'author: "編集部"\n'
        'description: "メール配信を見直すときの考え方を、手順に沿ってまとめます。"\n'
        "---\n"
        "\n"
        "メール配信を見直すときの考え方をまとめます。読者の反応から始めます。\n"
        "\n"
        f"## {days.past}年のメール配信の傾向\n"
        "\n"
        "開封率は約25%でした。\n"
        "この数字は社内の集計です。\n"
        "\n"
        "## 配信リストの整え方\n"
        "![配信リストの画面](https://images.example.com/list.png)\n"
        "\n"
        "- 配信停止の理由を記録します。\n"
        "- 休眠している読者を分けます。\n"
        "\n"
        "> 引用はそのまま残ります。\n"
        "\n"
        "## 効果の測り方\n"
        "\n"
        "変わらない段落です。**太字**と[外部の記事](https://example.com/a)を含みます。[^1]\n"
        "\n"
        f"[^1]: 読者調査 — Example Research (閲覧日 2026-01-05) <{steady}>\n"
    )


MULTI = "multi-reasons"


def cited_record(name: str, url: str, today: date) -> str:
    """The run record genpost would have left in out/ for a post that cites `url` as its footnote 1: what the
    cited passage says (a figure the post misquotes), and the source's hash when it was cited."""
    found = extract(FIGURES_PAGE.encode(), "html", url)
    moment = datetime.combine(today, datetime.min.time(), UTC)
    passage = Passage(id="S1", source=1, text=found.text)
    source = Source(id=1, location=url, title=found.title, fetched_at=moment, sha256=text_hash(found.text))
    queries = ImageQueries(hero="", background="", trend="", cases="")
    plan = Plan(
        category="テスト", trend_points=[], steps=[], summary="", background="", cases="", lead="", trend="",
        title="導入率の話", description="", tags=[], image_queries=queries,
    )  # fmt: skip
    record = RunRecord(
        genpost_version="test", created_at=moment, plan=plan, sections={}, images=[], related=[], calls=[],
        brief=Brief(instinct="learning", keywords=["導入"], structure="howTo", date=moment),
        totals={}, stage_seconds={}, reading_time=1, body_chars=30, sources=[source], passages=[passage],
        citations=[Citation(part="lead", marker="S1", kept=True, footnote=1)], draft=name,
    )  # fmt: skip
    return record.model_dump_json(indent=2)


def build(root: Path, web: WebStandIn, moved: MovedStandIn, today: date, out: Path) -> Path:
    """The site; the web stand-in serves its sources (the changing one as it was when cited); out/ holds the
    run record of the post whose figure its source does not hold."""
    web.documents[CHANGING] = (HTML, CHANGING_BEFORE.encode())
    web.documents[STEADY] = (HTML, STEADY_PAGE.encode())
    web.documents[FIGURES] = (HTML, FIGURES_PAGE.encode())
    site = make_site(root)
    for path in (site / "_posts").iterdir():
        path.unlink()
    days = Days(today)
    recent, old, past = days.recent, days.old, days.past

    def cite(url: str) -> str:
        return f"公開されている調査を参考にしています。[^1]\n\n[^1]: 調査 — Example (閲覧日 2026-01-05) <{url}>\n"

    posts = {
        f"{recent}-past-year-title": post(f"{past}年版 SNS運用の基本5選", recent, "SNS運用の基本です。\n", ["SNS運用"]),
        f"{recent}-heading-year": post(
            "展示会の準備ガイド",
            recent,
            f"準備の話です。\n\n## {past}年の展示会を振り返る\n\n来場者の声を集めました。\n\n"
            "## 次の準備\n\n次に備えます。\n",
            ["展示会 準備"],
        ),
        f"{recent}-kept-retrospective": post(
            f"{past}年の振り返り", recent, "一年を振り返ります。\n", ["振り返り"], extra="refresh: keep\n"
        ),
        f"{recent}-fresh": post("いまの読者調査", recent, cite(web.url(STEADY.lstrip("/"))), ["読者調査"]),
        f"{recent}-dead-source": post("消えた調査の話", recent, cite(web.url(GONE.lstrip("/"))), ["調査"]),
        f"{recent}-moved-source": post("引っ越した調査の話", recent, cite(f"{moved.root}/old-survey.html"), ["調査"]),
        f"{recent}-changed-source": post("変わった調査の話", recent, cite(web.url(CHANGING.lstrip("/"))), ["広告"]),
        f"{recent}-unsourced-figure": post("売上の話", recent, "売上が約30%向上しました。\n", ["売上"]),
        f"{recent}-unsupported-figure": post(
            "導入率の話",
            recent,
            "チャットボットを導入した企業は55.5%でした。[^1]\n\n"
            f"[^1]: 導入調査 — Example (閲覧日 2026-01-05) <{web.url(FIGURES.lstrip('/'))}>\n",
            ["導入"],
        ),
        f"{recent}-broken-link": post(
            "古いガイドの紹介", recent, "詳しくは[古い集客ガイド](/2019/01/01/gone.html)で説明しています。\n", ["集客"]
        ),
        f"{old}-aged-calendar": post(
            "AIマーケティングの始め方", old, "AIの話です。\n", ["AI マーケティング 最新トレンド"]
        ),
        f"{old}-aged-offtopic": post("冬のキャンプ道具", old, "キャンプの話です。\n", ["キャンプ 道具"]),
        f"{recent}-year-in-prose": post(
            "展示会の来場者アンケート",
            recent,
            f"{past}年の来場者にアンケートを取りました。\n",
            [f"展示会 アンケート {past}"],
        ),
        f"{recent}-{MULTI}": multi(days, web.url(STEADY.lstrip("/"))),
    }
    for name, text in posts.items():
        (site / "_posts" / f"{name}.md").write_text(text, encoding="utf-8")
    out.mkdir(parents=True, exist_ok=True)
    name = f"{recent}-unsupported-figure"
    (out / f"{name}.json").write_text(cited_record(f"{name}.md", web.url(FIGURES.lstrip("/")), today), "utf-8")
    return site


# The reasons each post must be listed with (by the end of its name); posts not named here must not be listed.
EXPECTED = {
    "past-year-title": {"year.title"},
    "heading-year": {"year.heading"},
    "dead-source": {"source.dead"},
    "moved-source": {"source.moved"},
    "changed-source": {"source.changed"},
    "unsourced-figure": {"claims.unsourced"},
    "unsupported-figure": {"claims.unsupported"},
    "broken-link": {"links.unresolved"},
    "aged-calendar": {"age"},
    "year-in-prose": {"year.prose", "year.tags", "year.seo_keywords"},
    MULTI: {"year.title", "year.seo_keywords", "year.heading", "claims.unsourced"},
}
NEVER = ("kept-retrospective", "fresh", "aged-offtopic")
