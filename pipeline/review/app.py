"""The review web app: drafts in out/, read as the site shows them, approved, rejected or regenerated."""

from __future__ import annotations

import html
import json
import re
import secrets
from pathlib import Path
from urllib.parse import quote

from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from pipeline import editor, frontmatter, history, site_git
from pipeline.config import Settings
from pipeline.drafts import Pending, draft_path, list_drafts, load_record, load_state, reject, save_state
from pipeline.errors import GenpostError
from pipeline.history import stamp_of, who_runs
from pipeline.instincts import Instinct
from pipeline.job import Desk
from pipeline.llm import Gateway
from pipeline.llm.choice import make_provider
from pipeline.outline import outline_for
from pipeline.prompts import PromptBook
from pipeline.publish import Refused, publish
from pipeline.review import regenerate
from pipeline.types import RunRecord

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals["STATUS_JA"] = {
    "draft": "下書き",
    "approved": "承認済み",
    "rejected": "却下",
    "published": "公開済み",
}
_RELATED = re.compile(r"\{\{ site\.baseurl \}\}\{% post_url (\S+) %\}")
_JSON_LD = re.compile(r'<script type="application/ld\+json">.*?</script>', re.DOTALL)
_FOOTNOTE = re.compile(r'<li id="fn(\d+)" class="footnote-item"><p>')


def source_notes(record: RunRecord) -> list[dict]:
    """Each footnote with its source and the passages it cites, for the sources panel."""
    sources = {s.id: s for s in record.sources}
    passages = {p.id: p for p in record.passages}
    notes: dict[int, dict] = {}
    for citation in record.citations:
        passage = passages.get(citation.marker)
        if not citation.kept or citation.footnote is None or passage is None:
            continue
        note = notes.setdefault(
            citation.footnote, {"number": citation.footnote, "source": sources[passage.source], "passages": []}
        )
        if passage not in note["passages"]:
            note["passages"].append(passage)
    return [notes[n] for n in sorted(notes)]


def render_post(text: str, figures: list[str]) -> str:
    """The body as the site would show it; Liquid links made local; 要確認 figures highlighted."""
    _, body = frontmatter.split(text)
    body = _JSON_LD.sub("", body)
    body = _RELATED.sub(lambda m: f"#related-{quote(m.group(1))}", body)
    rendered = MarkdownIt("commonmark").use(footnote_plugin).render(body)
    # Each footnote links to the passages it cites, in the sources panel.
    rendered = _FOOTNOTE.sub(r'\g<0> <a class="to-source" href="#source-note-\1">資料の該当箇所</a>', rendered)
    for figure in sorted(set(figures), key=len, reverse=True):
        escaped = html.escape(figure)
        rendered = rendered.replace(escaped, f'<mark class="claim" title="要確認">{escaped}</mark>')
    return rendered


def create_app(out_dir: Path, site: Path | None, settings: Settings, instincts: dict[str, Instinct]) -> Starlette:
    token = secrets.token_urlsafe(32)

    def page(request: Request, name: str, context: dict, status: int = 200) -> Response:
        return TEMPLATES.TemplateResponse(request, name, {"csrf": token, "site": site, **context}, status_code=status)

    async def checked_form(request: Request) -> dict:
        form = await request.form()
        if not secrets.compare_digest(str(form.get("csrf", "")), token):
            raise PermissionError("bad CSRF token")
        return dict(form)

    def candidate(record: RunRecord | None, pending: Pending | None) -> str | None:
        """A regenerated part waiting for the editor, as text; its kind comes from the post's outline."""
        if record is None or pending is None:
            return None
        outline = outline_for(instincts[record.brief.instinct].name, record.plan, record.brief.structure)
        return regenerate.candidate_text(pending, outline[pending.part].kind)

    def back(name: str, message: str) -> RedirectResponse:
        return RedirectResponse(f"/drafts/{quote(name)}?msg={quote(message)}", status_code=303)

    async def index(request: Request) -> Response:
        return page(request, "list.html", {"drafts": list_drafts(out_dir), "out": out_dir})

    async def show(request: Request) -> Response:
        name = request.path_params["name"]
        try:
            draft = draft_path(out_dir, name)
        except GenpostError:
            return PlainTextResponse("not found", status_code=404)
        return draft_page(request, draft, request.query_params.get("msg", ""))

    def draft_page(
        request: Request, draft: Path, message: str, kept: dict | None = None, status: int = 200
    ) -> Response:
        """The draft page; `kept`: an editor's refused save, shown again in the editor so nothing is lost."""
        name = draft.name
        text = draft.read_text(encoding="utf-8")
        front, body_text = frontmatter.split(text)
        record = load_record(draft)
        findings = record.findings if record else []
        figures = [f.figure for f in findings if f.figure]
        related = []
        for item in record.related if record else []:
            exists = bool(site) and any((site / "_posts" / f"{item.name}.{e}").exists() for e in ("md", "markdown"))
            related.append({"name": item.name, "title": item.title, "exists": exists})
        state = load_state(draft)
        context = {
            "name": name,
            "front": front,
            "body": render_post(text, figures),
            "findings": findings,
            "record": record,
            "record_json": json.dumps(json.loads(record.model_dump_json()), ensure_ascii=False, indent=2)
            if record
            else "",
            "related": related,
            "state": state,
            "parts": regenerate.parts(record) if record else [],
            "notes": source_notes(record) if record else [],
            "candidate": candidate(record, state.pending),
            "message": message,
            "edit": kept
            or {
                "body": body_text,
                "title": front.get("title", ""),
                "description": front.get("description", ""),
                "tags": "、".join(str(t) for t in front.get("tags") or []),
                "who": who_runs(),
            },
            "version": stamp_of(text),
            "versions": list(reversed(state.versions)),
        }
        return page(request, "draft.html", context, status)

    async def posted(request: Request) -> tuple[Path, dict] | Response:
        """The draft a POST names, and its form; or the refusal (403 without the CSRF token, 404 outside out/)."""
        try:
            form = await checked_form(request)
        except PermissionError:
            return PlainTextResponse("forbidden: bad or missing CSRF token", status_code=403)
        try:
            return draft_path(out_dir, request.path_params["name"]), form
        except GenpostError:
            return PlainTextResponse("not found", status_code=404)

    async def preview(request: Request) -> Response:
        """The editor's body rendered as the draft page renders it (the live preview)."""
        got = await posted(request)
        if isinstance(got, Response):
            return got
        return HTMLResponse(render_post(str(got[1].get("body", "")), []))

    async def save_edit(request: Request) -> Response:
        got = await posted(request)
        if isinstance(got, Response):
            return got
        draft, form = got
        name = draft.name
        fields = {key: str(form.get(key, "")) for key in ("title", "description", "tags")}
        body, who = str(form.get("body", "")), str(form.get("who", ""))
        try:
            saved = editor.save(draft, body, fields, str(form.get("version", "")), who, settings, instincts, site)
        except GenpostError as exc:
            kept = {**fields, "body": body, "who": who}
            status = 409 if isinstance(exc, editor.StaleDraft) else 422
            return draft_page(request, draft, f"保存できませんでした: {exc}", kept, status)
        count = sum(f.severity == "error" for f in saved.findings)
        return back(name, f"保存しました（品質チェック: エラー {count} 件、全 {len(saved.findings)} 件）")

    async def version_diff(request: Request) -> Response:
        name = request.path_params["name"]
        try:
            draft = draft_path(out_dir, name)
            number = int(request.path_params["number"])
        except (GenpostError, ValueError):
            return PlainTextResponse("not found", status_code=404)
        found = [v for v in load_state(draft).versions if v.number == number]
        if not found:
            return PlainTextResponse("not found", status_code=404)
        return page(request, "diff.html", {"name": name, "version": found[0], "lines": history.diff(draft, number)})

    async def act(request: Request) -> Response:
        got = await posted(request)
        if isinstance(got, Response):
            return got
        draft, form = got
        name, action = draft.name, request.path_params["action"]
        try:
            return back(name, await _do(action, draft, form))
        except GenpostError as exc:
            return back(name, f"できませんでした: {exc}")

    async def _do(action: str, draft: Path, form: dict) -> str:
        if action == "approve":
            state = load_state(draft)
            state.mark("approved", str(form.get("note", "")))
            save_state(draft, state)
            return "承認しました"
        if action == "publish":
            if site is None:
                raise GenpostError("公開するには、--site を付けてレビューアプリを起動してください")
            try:
                done = await publish(draft, site, settings, instincts, force=form.get("force") == "on")
            except Refused as exc:
                rules = "、".join(exc.rules)
                return (
                    f"公開できません: エラーの指摘が {exc.count} 件あります（{rules}）。"
                    "直すか「指摘があっても公開する」を選んでください"
                )
            except site_git.PushFailed as exc:
                kept = f"コミット {exc.commit[:10]} は残っています" if exc.commit else "新しいコミットはありません"
                return f"公開しましたが、{exc.remote} へのプッシュに失敗しました（{kept}）: {exc.reason}"
            git = f"、コミット {done.commit[:10]}" if done.commit else ""
            git += f"、{done.pushed.remote}/{done.pushed.branch} へプッシュ" if done.pushed else ""
            return f"公開しました: {done.path.name}（Unsplash ダウンロード通知 {done.pinged} 件{git}）"
        if action == "reject":
            reject(draft, str(form.get("note", "")))
            return "却下しました"
        if action == "regenerate":
            gateway = Gateway(make_provider(settings.llm), settings.llm, PromptBook())
            try:
                desk = Desk(settings, instincts, gateway, out_dir)
                await regenerate.propose(draft, str(form.get("part", "")), str(form.get("note", "")), desk, gateway)
            finally:
                await gateway.close()
            return "書き直し案ができました。確認して差し替えるか破棄してください"
        if action == "accept":
            who = str(form.get("who", "")) or who_runs()
            findings = regenerate.accept(draft, Desk(settings, instincts, None, out_dir), who)
            return f"差し替えました（エラー {sum(f.severity == 'error' for f in findings)} 件）"
        if action == "discard":
            regenerate.discard(draft)
            return "書き直し案を破棄しました"
        raise GenpostError(f"unknown action {action}")

    routes = [
        Route("/", index),
        Route("/drafts/{name}", show),
        Route("/drafts/{name}/versions/{number}", version_diff),
        Route("/drafts/{name}/preview", preview, methods=["POST"]),
        Route("/drafts/{name}/save", save_edit, methods=["POST"]),
        Route("/drafts/{name}/{action}", act, methods=["POST"]),
    ]
    return Starlette(routes=routes)
