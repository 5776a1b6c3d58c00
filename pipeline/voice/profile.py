"""voice.yml: the site's voice as measured, the editor's to change. Every figure is optional (a figure taken out
holds drafts to nothing); each is written with a one-line Japanese comment, its Field's description."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipeline.paths import PROJECT_ROOT, resource
from pipeline.store import replace_write
from pipeline.yamlfile import load_validated

FILE_NAME = "voice.yml"


class _Figures(BaseModel):
    model_config = ConfigDict(extra="forbid")


# A range's ends: none below zero (a count or a length), the first no larger than the second.
Range = tuple[Annotated[int, Field(ge=0)], Annotated[int, Field(ge=0)]]


def _ordered(value: Range) -> Range:
    """A range whose ends are the wrong way round is refused under its own key (`sections.range`)."""
    if value[0] > value[1]:
        raise ValueError(f"the first number ({value[0]}) must not be larger than the second ({value[1]})")
    return value


class Measured(_Figures):
    site: str = Field(description="測ったサイト")
    posts: int = Field(ge=0, description="測った記事の数（下書きと公開日が未来の記事は除く）")
    first: date | None = Field(None, description="いちばん古い記事の日付")
    last: date | None = Field(None, description="いちばん新しい記事の日付")
    day: date = Field(description="測った日")


class Style(_Figures):
    main: Literal["です・ます", "である", "混在"] = Field(description="文末の文体（です・ます／である／混在）")
    polite: float = Field(ge=0, le=1, description="文末が「です・ます」の文の割合（文末で文体が分かる文のうち）")
    plain: float = Field(ge=0, le=1, description="文末が「である・だ・する」など常体の文の割合")
    tolerance: float = Field(
        ge=0, le=1, description="1記事に混ざってよい、もう一方の文体の割合（サイトの記事で最も多いもの）"
    )


class Spread(_Figures):
    median: int = Field(ge=0, description="中央値（字）")
    q1: int = Field(ge=0, description="短い方から4分の1の値（字）")
    q3: int = Field(ge=0, description="短い方から4分の3の値（字）")

    @model_validator(mode="after")
    def _in_order(self) -> Spread:
        if not self.q1 <= self.median <= self.q3:
            raise ValueError("q1 ≤ median ≤ q3 must hold")
        return self


class SentenceLength(Spread):
    section_range: Range = Field(description="節ごとの文の長さの中央値が収まる範囲（字）")

    _range = field_validator("section_range")(_ordered)


class BodyLength(Spread):
    range: Range = Field(description="本文の長さの目安（字）。下書きの目標範囲にもなる")

    _range = field_validator("range")(_ordered)


class Sections(_Figures):
    median: int = Field(ge=0, description="1記事のH2の数（中央値）")
    range: Range = Field(description="1記事のH2の数の範囲（サイトの記事の8割以上が収まる）")
    numbered: float = Field(ge=0, le=1, description="番号付きのH2（「1. …」「①…」「方法1　…」など）の割合")
    heading_length: int = Field(ge=0, description="H2の長さの中央値（字）")
    h3: int = Field(ge=0, description="1記事のH3の数（中央値）")

    _range = field_validator("range")(_ordered)


class Lists(_Figures):
    posts: float = Field(ge=0, le=1, description="箇条書きのある記事の割合")
    items: int = Field(ge=0, description="1記事の箇条書きの項目数（中央値）")


class Words(_Figures):
    words: list[str] = Field(description="よく使う順")
    per_100: float = Field(ge=0, description="100文あたりの数")


class Script(_Figures):
    kanji: float = Field(ge=0, le=1, description="漢字の割合（漢字・ひらがな・カタカナのうち）")
    hiragana: float = Field(ge=0, le=1, description="ひらがなの割合")
    katakana: float = Field(ge=0, le=1, description="カタカナの割合")


class Avoid(_Figures):
    phrases: list[str] = Field(description="下書きによく出るが、サイトの記事には一度も出ない言い回し")


class Format(_Figures):
    reference: float = Field(ge=0, le=1, description="genpost の基準の見出し構成（5つのH2）に沿う記事の割合")
    images: float = Field(ge=0, le=1, description="本文に画像がある記事の割合")
    credited: float = Field(ge=0, le=1, description="Unsplash のクレジットがある画像の割合")
    cta: float = Field(ge=0, le=1, description="CTAブロックがある記事の割合")
    json_ld: float = Field(ge=0, le=1, description="本文に JSON-LD がある記事の割合")
    reading_rate: int | None = Field(None, ge=1, description="reading_time が前提にしている1分あたりの字数")
    front_matter: list[str] = Field(default_factory=list, description="8割以上の記事にあるフロントマターのキー")


class VoiceProfile(_Figures):
    """The site's voice: how its recent posts are written, and in what format."""

    version: Literal[1] = Field(1, description="このファイルの形式")
    measured: Measured | None = Field(None, description="どの記事から測ったか")
    style: Style | None = Field(None, description="文末の文体")
    sentence_length: SentenceLength | None = Field(None, description="1文の長さ（字）")
    paragraph_length: Spread | None = Field(None, description="1段落の長さ（字）")
    body_length: BodyLength | None = Field(None, description="本文の長さ（字）")
    sections: Sections | None = Field(None, description="見出しの数と書き方")
    lists: Lists | None = Field(None, description="箇条書きの使い方")
    connectives: Words | None = Field(None, description="よく使う接続詞")
    openers: Words | None = Field(None, description="よく使う文の書き出し")
    script: Script | None = Field(None, description="文字の種類の割合")
    avoid: Avoid | None = Field(None, description="サイトが使わない言い回し")
    format: Format | None = Field(None, description="記事の形式（サイトの記事をこの形式で確かめる）")

    @property
    def main_style(self) -> str | None:
        """The site's sentence-final style (です・ます, である or 混在), when the profile says."""
        return self.style.main if self.style is not None else None


HEADER = (
    "# genpost voice: サイトの最近の記事から測った文体と形式。下書きの指示と品質チェックに使います。\n"
    "# 数値は編集してかまいません。項目を丸ごと消すと、その項目では下書きを縛りません。\n"
    "# 測り直し: genpost voice --site DIR --force / 今のサイトとの差: genpost voice --site DIR --check\n"
)


def _pair(key: str, value: Any) -> str:
    """`key: value` in YAML flow style on one line."""
    text = yaml.safe_dump({key: value}, allow_unicode=True, default_flow_style=True, width=10**6, sort_keys=False)
    return text.strip()[1:-1]


def to_yaml(profile: VoiceProfile) -> str:
    """The profile as voice.yml: each figure on a line of its own, with what it means as a comment."""
    data = profile.model_dump(mode="json")
    lines = [HEADER.rstrip("\n")]
    for name, spec in VoiceProfile.model_fields.items():
        value = getattr(profile, name)
        if value is None:
            continue
        if isinstance(value, BaseModel):
            lines.append(f"{name}:  # {spec.description}")
            for sub, sub_spec in type(value).model_fields.items():
                lines.append(f"  {_pair(sub, data[name][sub])}  # {sub_spec.description}")
        else:
            lines.append(f"{_pair(name, data[name])}  # {spec.description}")
    return "\n".join(lines) + "\n"


def voice_path() -> Path:
    """voice.yml beside the genpost.yml in use: GENPOST_CONFIG's, else the one $GENPOST_HOME or the working
    directory holds; with the project's own (shipped) genpost.yml, $GENPOST_HOME or the working directory."""
    config = os.environ.get("GENPOST_CONFIG")
    if config:
        return Path(config).parent / FILE_NAME
    found = resource("genpost.yml")
    folder = found.parent if found.exists() and found.parent.resolve() != PROJECT_ROOT else None
    return (folder or Path(os.environ.get("GENPOST_HOME") or Path.cwd())) / FILE_NAME


def load_voice(path: Path | None = None) -> VoiceProfile | None:
    """The voice in voice.yml (or `path`); None when there is none; a UsageError of one line naming the file,
    line and key when it does not load."""
    path = path or voice_path()
    if not path.is_file():
        return None
    return load_validated(VoiceProfile, path)


def write_voice(profile: VoiceProfile, path: Path) -> Path:
    """Write voice.yml atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_write(path, to_yaml(profile))
    return path
