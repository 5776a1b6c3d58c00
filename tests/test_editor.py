"""The editor's desk in the review app: edit and save, refusals, the version history and its diffs."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pipeline.config import load_settings
from pipeline.document import Kind
from pipeline.instincts import load_instincts
from pipeline.parse import parse
from pipeline.review import drafts
from pipeline.review.app import create_app
from pipeline.review.drafts import load_state
from pipeline.review.editor import owned_parts
from pipeline.review.history import stamp_of, text_of
from tests.postparse import parse_post

KEYWORD = "AI マーケティング 最新トレンド"
ENGLISH = "This sentence was left in English by mistake and no reader should see it."


@pytest.fixture
def desk(llm, genpost, tmp_path):
    """A generated draft, and the app serving it: (client, token, draft path)."""
    out = tmp_path / "out"
    args = ["--instinct", "learning", "--keywords", KEYWORD, "--out", str(out), "--date", "2025-12-16T01:00:00Z"]
    run = genpost(*args)
    assert run.code == 0, run.stderr
    path = Path(run.last_line)
    client = TestClient(create_app(out, None, load_settings(), load_instincts(), allowed_hosts=["testserver"]))
    page = client.get(f"/drafts/{path.name}").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client, token, path


def form_of(page: str) -> dict[str, str]:
    """What the editor's form would send, as the page shows it."""
    form = page.split('id="edit-form"', 1)[1].split("</form>", 1)[0]
    fields = {m[0]: html.unescape(m[1]) for m in re.findall(r'name="(\w+)" value="([^"]*)"', form)}
    fields["body"] = html.unescape(re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', form, re.DOTALL)[1])
    return fields


def first_sentence(body: str) -> str:
    prose = next(line for line in body.split("\n") if line and not line.startswith(("#", "!", "<", "[", "-", "{")))
    return prose.split("。")[0] + "。"


def test_the_form_holds_the_draft_as_it_is(desk):
    client, _, path = desk
    fields = form_of(client.get(f"/drafts/{path.name}").text)
    post = parse_post(path)
    assert fields["title"] == post.front["title"] and fields["version"] == stamp_of(path.read_text(encoding="utf-8"))
    assert fields["body"].strip() == post.body.strip() and fields["tags"] == "、".join(post.front["tags"])


def test_a_save_writes_the_draft_keeps_the_last_version_and_checks_again(desk):
    client, token, path = desk
    before = path.read_text(encoding="utf-8")
    fields = form_of(client.get(f"/drafts/{path.name}").text)
    sentence = first_sentence(parse_post(path).body)
    fields.update(csrf=token, who="佐藤", title="2025年版AIマーケティング最新トレンド7選を編集部が検証")
    fields["body"] = fields["body"].replace(sentence, ENGLISH, 1)
    done = client.post(f"/drafts/{path.name}/save", data=fields, follow_redirects=True)
    assert done.status_code == 200 and "保存しました" in done.text

    post = parse_post(path)
    assert ENGLISH in post.body and sentence not in post.body
    assert post.front["title"] == "2025年版AIマーケティング最新トレンド7選を編集部が検証"
    ld = json.loads(re.search(r'<script type="application/ld\+json">\n(.*?)\n</script>', post.body, re.DOTALL)[1])
    assert ld["headline"] == post.front["title"], "the JSON-LD follows the title"
    record = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert any(f["rule"] == "script.latin-sentence" for f in record["findings"]), "the gate ran on the saved text"
    assert "script.latin-sentence" in done.text, "the page shows the new findings"

    versions = load_state(path).versions
    assert [v.kind for v in versions] == ["generated", "polished", "edited"] and versions[-1].who == "佐藤"
    assert text_of(path, versions[-2].number) == before and text_of(path, versions[-1].number) == path.read_text(
        encoding="utf-8"
    )


@pytest.mark.parametrize(
    ("change", "what"),
    [
        (lambda b: b.replace("## 学習本能の心理学的背景", "## 心理学の背景", 1), "学習本能の心理学的背景"),
        (lambda b: re.sub(r"^!\[[^\n]*\n", "", b, count=1, flags=re.MULTILINE), "!["),
        (lambda b: b.replace('<small class="photo-credit">', '<small class="credit">', 1), "photo-credit"),
        (lambda b: b.replace('"@type": "BlogPosting"', '"@type": "Article"', 1), "BlogPosting"),
        (lambda b: b.replace('<div class="cta-section">', '<div class="cta">', 1), "cta-section"),
        (lambda b: b + "\n## 追加した見出し\n", "追加した見出し"),
    ],
    ids=["a heading", "an image line", "a credit", "the JSON-LD", "the CTA block", "a new heading"],
)
def test_a_save_that_breaks_an_assembled_part_is_refused(desk, change, what):
    client, token, path = desk
    before = path.read_text(encoding="utf-8")
    fields = {**form_of(client.get(f"/drafts/{path.name}").text), "csrf": token}
    fields["body"] = change(fields["body"])
    assert fields["body"] != form_of(client.get(f"/drafts/{path.name}").text)["body"]
    refused = client.post(f"/drafts/{path.name}/save", data=fields)
    assert refused.status_code == 422
    assert "保存できませんでした" in refused.text and "genpost が組み立てる部分" in refused.text
    assert what in refused.text.split('class="message"', 1)[1].split("</div>", 1)[0]
    assert path.read_text(encoding="utf-8") == before and len(load_state(path).versions) == 2


def test_footnote_definitions_are_assembled_parts():
    body = "\n本文です[^1]。\n\n[^1]: 調査 — Example (閲覧日 2026-11-25)\n"
    assert owned_parts(parse(body)) == ["[^1]: 調査 — Example (閲覧日 2026-11-25)"]
    assert owned_parts(parse(body.replace("本文です", "直した本文です"))) == owned_parts(parse(body))


def test_a_stale_save_is_refused_and_nothing_is_lost(desk):
    client, token, path = desk
    fields = {**form_of(client.get(f"/drafts/{path.name}").text), "csrf": token}
    # Meanwhile another editor saves.
    other = {**fields, "body": fields["body"].replace("。", "！", 1)}
    assert client.post(f"/drafts/{path.name}/save", data=other).status_code in (200, 303)
    after_other = path.read_text(encoding="utf-8")
    mine = {**fields, "body": fields["body"] + "\n私の追記です。\n"}
    refused = client.post(f"/drafts/{path.name}/save", data=mine)
    assert refused.status_code == 409 and "ほかで変更されました" in refused.text
    assert path.read_text(encoding="utf-8") == after_other
    assert "私の追記です。" in form_of(refused.text)["body"], "the editor's text is still in the editor"


def test_saving_needs_a_csrf_token_and_a_draft_in_out(desk, tmp_path):
    client, token, path = desk
    fields = {k: v for k, v in form_of(client.get(f"/drafts/{path.name}").text).items() if k != "csrf"}
    before = path.read_text(encoding="utf-8")
    assert client.post(f"/drafts/{path.name}/save", data={**fields, "csrf": "forged"}).status_code == 403
    assert client.post(f"/drafts/{path.name}/save", data=fields).status_code == 403
    outside = tmp_path / "2025-12-16-outside.md"
    outside.write_text(before, encoding="utf-8")
    for name in ("..%2F2025-12-16-outside.md", "2025-12-16-outside.md", "..%2Fout%2F" + path.name):
        assert client.post(f"/drafts/{name}/save", data={**fields, "csrf": token}).status_code == 404
    assert client.get(f"/drafts/{path.name}/save").status_code == 405
    assert path.read_text(encoding="utf-8") == before


def test_the_history_lists_each_version_with_a_diff(desk):
    client, token, path = desk
    fields = {**form_of(client.get(f"/drafts/{path.name}").text), "csrf": token, "who": "鈴木"}
    sentence = first_sentence(parse_post(path).body)
    fields["body"] = fields["body"].replace(sentence, "編集部で書き直した一文です。", 1)
    client.post(f"/drafts/{path.name}/save", data=fields)
    page = client.get(f"/drafts/{path.name}").text
    card = page.split('id="history"', 1)[1].split("</ol>", 1)[0]
    assert "変更履歴（3 版）" in card
    assert card.index("v3 手直し") < card.index("v2 推敲") < card.index("v1 生成") and "鈴木" in card
    diff = client.get(f"/drafts/{path.name}/versions/3").text
    assert "<ins>+" in diff and "編集部で書き直した一文です。" in diff.split("<ins>", 1)[1]
    assert f"<del>-{html.escape(sentence)}" in diff or html.escape(sentence) in diff.split("<del>", 1)[1]
    polish = client.get(f"/drafts/{path.name}/versions/2").text
    assert "v1 との差分" in polish and "ここまでの背景を踏まえて" in polish
    assert client.get(f"/drafts/{path.name}/versions/9").status_code == 404


def test_the_preview_renders_the_body_as_the_page_does(desk):
    client, token, path = desk
    answer = client.post(f"/drafts/{path.name}/preview", data={"csrf": token, "body": "## 見出し\n\n本文です。\n"})
    assert answer.status_code == 200 and "<h2>見出し</h2>" in answer.text and "<p>本文です。</p>" in answer.text
    assert client.post(f"/drafts/{path.name}/preview", data={"body": "x"}).status_code == 403


def test_a_regenerated_part_cannot_overwrite_a_hand_edit_in_it_but_keeps_those_elsewhere(desk, llm):
    client, token, path = desk
    page = client.get(f"/drafts/{path.name}").text
    fields = {**form_of(page), "csrf": token}
    doc = parse_post(path).doc
    lead = next(b.markdown for b in doc.of_part("lead") if b.kind == Kind.PARAGRAPH)
    cases = [b.markdown for b in doc.of_part("cases") if b.kind == Kind.PARAGRAPH][-1]
    fields["body"] = fields["body"].replace(lead, lead.replace("。", "！", 1), 1)
    client.post(f"/drafts/{path.name}/save", data=fields)
    client.post(f"/drafts/{path.name}/regenerate", data={"csrf": token, "part": "lead", "note": ""})
    saved = path.read_text(encoding="utf-8")
    done = client.post(f"/drafts/{path.name}/accept", data={"csrf": token}, follow_redirects=True)
    assert "手直しした部分（lead）" in done.text and path.read_text(encoding="utf-8") == saved
    # A hand edit in another part stays when the candidate goes in.
    client.post(f"/drafts/{path.name}/discard", data={"csrf": token})
    fields = {**form_of(client.get(f"/drafts/{path.name}").text), "csrf": token}
    fields["body"] = fields["body"].replace(cases, "編集部で書き直した事例の一文です。", 1)
    client.post(f"/drafts/{path.name}/save", data=fields)
    client.post(f"/drafts/{path.name}/regenerate", data={"csrf": token, "part": "step1", "note": ""})
    done = client.post(f"/drafts/{path.name}/accept", data={"csrf": token}, follow_redirects=True)
    after = path.read_text(encoding="utf-8")
    assert "差し替えました" in done.text and "編集部で書き直した事例の一文です。" in after and after != saved


# --- two writers at once --------------------------------------------------------------------------


def _save_in_process(draft: str, fields: dict[str, str], version: str, who: str, barrier, results) -> None:
    """A second app process's save, in a process of its own: wait for the other one, then save. The time
    between reading the draft and writing it is stretched, so two saves without the lock would both land."""
    import time

    from pipeline.review import editor

    keep_change = editor.keep_change

    def slow_keep_change(*args, **kwargs):
        time.sleep(0.5)
        return keep_change(*args, **kwargs)

    editor.keep_change = slow_keep_change
    settings, instincts = load_settings(), load_instincts()
    barrier.wait(timeout=60)
    try:
        editor.save(Path(draft), fields["body"], fields, version, who, settings, instincts)
        results.put((who, "saved"))
    except editor.StaleDraft:
        results.put((who, "stale"))
    except Exception as exc:  # reported to the test, which fails on it
        results.put((who, f"{type(exc).__name__}: {exc}"))


def test_two_processes_saving_the_same_version_never_lose_a_save(desk):
    import multiprocessing

    client, _, path = desk
    loaded = form_of(client.get(f"/drafts/{path.name}").text)
    versions_before = len(load_state(path).versions)
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = []
    for who in ("編集者A", "編集者B"):
        fields = {**loaded, "body": loaded["body"] + f"\n{who}が足した一文です。\n"}
        args = (str(path), fields, loaded["version"], who, barrier, results)
        workers.append(context.Process(target=_save_in_process, args=args))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    outcome = dict(results.get(timeout=5) for _ in workers)
    assert sorted(outcome.values()) == ["saved", "stale"], outcome
    winner = next(who for who, result in outcome.items() if result == "saved")
    loser = next(who for who, result in outcome.items() if result == "stale")
    text = path.read_text(encoding="utf-8")
    assert f"{winner}が足した一文です。" in text and f"{loser}が足した一文です。" not in text
    versions = load_state(path).versions
    assert len(versions) == versions_before + 1 and versions[-1].who == winner
    assert versions[-1].stamp == stamp_of(text)
    assert (path.parent / ".genpost" / "locks" / f"{path.name}.lock").exists()


def test_a_save_waits_for_the_lock_and_keeps_the_text_when_it_cannot_have_it(desk, monkeypatch):
    client, token, path = desk
    monkeypatch.setattr(drafts, "LOCK_WAIT_S", 0.3)
    before = path.read_text(encoding="utf-8")
    fields = {**form_of(client.get(f"/drafts/{path.name}").text), "csrf": token}
    fields["body"] += "\n待たされた一文です。\n"
    with drafts.draft_lock(path, timeout=5):  # another process is in the middle of a save
        refused = client.post(f"/drafts/{path.name}/save", data=fields)
    assert refused.status_code == 409 and "ほかの保存や差し替えが終わらない" in refused.text
    assert "待たされた一文です。" in form_of(refused.text)["body"], "the editor's text is still in the editor"
    assert path.read_text(encoding="utf-8") == before and len(load_state(path).versions) == 2
    done = client.post(f"/drafts/{path.name}/save", data=fields, follow_redirects=True)
    assert "保存しました" in done.text and "待たされた一文です。" in path.read_text(encoding="utf-8")


def test_accepting_a_regenerated_part_takes_the_same_lock(desk, llm, monkeypatch):
    client, token, path = desk
    monkeypatch.setattr(drafts, "LOCK_WAIT_S", 0.3)
    client.post(f"/drafts/{path.name}/regenerate", data={"csrf": token, "part": "lead", "note": ""})
    before = path.read_text(encoding="utf-8")
    with drafts.draft_lock(path, timeout=5):
        page = client.post(f"/drafts/{path.name}/accept", data={"csrf": token}, follow_redirects=True).text
    assert "できませんでした" in page and "ほかの保存や差し替え" in page
    assert path.read_text(encoding="utf-8") == before and load_state(path).pending is not None
    page = client.post(f"/drafts/{path.name}/accept", data={"csrf": token}, follow_redirects=True).text
    assert "差し替えました" in page and path.read_text(encoding="utf-8") != before
