"""A site whose posts are on neighbouring topics (and one unrelated, a draft, one dated after the post): for
links into the site."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import make_site

# name → (title, date, description, keywords, body sentences, extra front matter)
POSTS = {
    "2025-11-01-ai導入ロードマップ": (
        "AI導入ロードマップの作り方：中小企業の5ステップ",
        "2025-11-01T01:00:00Z",
        "中小企業がAI導入を無理なく進めるためのロードマップを5つのステップで解説します。",
        ["AI導入 ロードマップ", "中小企業 AI"],
        [
            "AI導入ロードマップは、目的の整理から始めます。",
            "中小企業のAI導入では、小さな業務から試すと失敗が減ります。",
            "ロードマップには担当者と期限を書き込みます。",
        ],
        "",
    ),
    "2025-11-10-マーケティング自動化のコツ": (
        "マーケティング自動化で成果を出す5つのコツ",
        "2025-11-10T01:00:00Z",
        "メール配信やSNS投稿のマーケティング自動化で、成果につなげるコツを紹介します。",
        ["マーケティング自動化 コツ", "メール 自動化"],
        [
            "マーケティング自動化は、配信の時間と内容をそろえるところから始めます。",
            "自動化したメールの反応を毎週確かめると、改善点が見えてきます。",
            "AIマーケティングの道具も、自動化の流れに組み込めます。",
        ],
        "",
    ),
    "2025-11-20-学習本能で顧客心理を読む": (
        "学習本能で読み解く顧客心理：好奇心を動かす3つの方法",
        "2025-11-20T01:00:00Z",
        "学習本能と好奇心に注目して、顧客心理を読み解くマーケティングの方法をまとめます。",
        ["学習本能 顧客心理", "好奇心 マーケティング"],
        [
            "学習本能は、新しいことを知りたいという好奇心の源です。",
            "顧客心理を読み解くには、どこで好奇心が動くかを観察します。",
            "学びのある情報は、マーケティングでも信頼につながります。",
        ],
        "",
    ),
    "2025-10-01-ラーメン店の行列": (
        "ラーメン店の行列を作る7つの工夫",
        "2025-10-01T01:00:00Z",
        "人気のラーメン店が行列を作るために続けている工夫を紹介します。",
        ["飲食店 集客", "行列 心理"],
        ["スープの香りを店の外まで届けると、通りがかりの人が足を止めます。", "限定メニューは行列の理由になります。"],
        "",
    ),
    "2025-11-25-aiマーケティング下書き": (
        "AIマーケティング最新トレンドの下書き",
        "2025-11-25T01:00:00Z",
        "まだ公開していないAIマーケティング最新トレンドの記事です。",
        ["AI マーケティング 最新トレンド"],
        ["AIマーケティングの最新トレンドを、生成AIの活用と合わせてまとめます。"],
        "published: false\n",
    ),
    "2026-02-01-aiマーケティング未来予測": (
        "AIマーケティング最新トレンドの未来予測",
        "2026-02-01T01:00:00Z",
        "これから公開するAIマーケティング最新トレンドの予測記事です。",
        ["AI マーケティング 最新トレンド 予測"],
        ["AIマーケティングの最新トレンドは、生成AIの活用でさらに広がります。"],
        "",
    ),
}
NEIGHBOURS = [
    "2025-11-01-ai導入ロードマップ",
    "2025-11-10-マーケティング自動化のコツ",
    "2025-11-20-学習本能で顧客心理を読む",
]
NEVER = ["2025-10-01-ラーメン店の行列", "2025-11-25-aiマーケティング下書き", "2026-02-01-aiマーケティング未来予測"]


def link_site(root: Path, permalink: str | None = None) -> Path:
    """The test site (`make_site`'s layout and config) with these posts instead of its own."""
    site = make_site(root)
    for path in (site / "_posts").iterdir():
        path.unlink()
    if permalink:
        config = site / "_config.yml"
        config.write_text(config.read_text(encoding="utf-8") + f"permalink: {permalink}\n", encoding="utf-8")
    for name, (title, date, description, keywords, body, extra) in POSTS.items():
        words = ", ".join(f'"{k}"' for k in keywords)
        text = (
            f'---\nlayout: blog-post\ntitle: "{title}"\ndate: {date}\ndescription: "{description}"\n'
            f"tags: [{words}]\nseo_keywords: [{words}]\n{extra}---\n\n" + "\n\n".join(body) + "\n"
        )
        (site / "_posts" / f"{name}.md").write_text(text, encoding="utf-8")
    return site
