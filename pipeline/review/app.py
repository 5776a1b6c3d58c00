"""The review web app: drafts in out/, read as the site shows them, approved, rejected or regenerated."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from pipeline.briefs.model import read_brief
from pipeline.config import Settings
from pipeline.document import PostDoc
from pipeline.errors import GenpostError
from pipeline.instincts import Instinct
from pipeline.llm import Gateway
from pipeline.llm.choice import make_provider
from pipeline.parse import parse
from pipeline.performance.report import build_report, render_report
from pipeline.performance.signals import performance_for
from pipeline.prompts import PromptBook
from pipeline.refresh.draft import open_refreshes, review_card
from pipeline.refresh.reasons import find_stale
from pipeline.refresh.run import refresh_post, resolve_post
from pipeline.review import briefs as review_briefs
from pipeline.review import editor, history, regenerate
from pipeline.review.drafts import (
    DraftBusy,
    Pending,
    UnreadableRecord,
    approve,
    draft_path,
    list_drafts,
    load_state,
    read_record,
    reject,
)
from pipeline.review.guard import SECURITY_HEADERS, Guard, served_hosts
from pipeline.review.history import stamp_of, who_runs
from pipeline.review.render import is_web_url, link_id, render_post
from pipeline.site import git as site_git
from pipeline.site.context import Site
from pipeline.site.publish import Refused, publish
from pipeline.types import RunRecord
from pipeline.voice.profile import VoiceProfile
from pipeline.writing.job import Desk
from pipeline.writing.outline import outline_for

HERE = Path(__file__).parent
# Everything a draft or record holds reaches a page through autoescape; only the sanitised body is `| safe`.
TEMPLATES = Jinja2Templates(env=jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True))
TEMPLATES.env.tests["web_url"] = is_web_url
TEMPLATES.env.globals["STATUS_JA"] = {
    "draft": "下書き",
    "approved": "承認済み",
    "rejected": "却下",
    "published": "公開済み",
}
NOT_FOUND = "見つかりません"
BAD_TOKEN = "送信を受け付けられません（CSRF トークンがないか、違います。ページを開き直してください）"


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


def link_card(doc: PostDoc, record: RunRecord | None, site: Path | None) -> tuple[list[dict], list[dict]]:
    """The internal-links card: each link in the draft's text (its block, anchor, target, the target's title,
    its section, whether the site has it, whether the editor may drop it here), and each of the record's
    candidates that is linked nowhere in the text, with its score and why it got no link."""
    titles: dict[str, str] = {}
    links, seen = [], set()
    for block in doc.blocks:
        counted: dict[str, int] = {}
        for anchor, target in editor.links_in(block):
            nth = counted[target] = counted.get(target, -1) + 1
            if target not in titles:
                titles[target] = editor.link_title(target, record, site)
            by_name = not target.startswith("/")
            links.append(
                {
                    "block": block.index,
                    "nth": nth,
                    "anchor": anchor,
                    "target": target,
                    "title": titles[target],
                    "section": " › ".join(h for h in (block.h2, block.h3) if h) or "導入文",
                    "exists": (editor.site_post(site, target) is not None) if site and by_name else None,
                    "id": link_id(target) if target not in seen else None,
                    "removable": not block.owned,
                }
            )
            seen.add(target)
    if record is None:
        return links, []
    why = {(d.part, d.name): d.why for d in record.links.dropped}
    unlinked = []
    for candidate in record.links.candidates:
        if candidate.name not in seen:
            reason = why.get((candidate.part, candidate.name)) or next(
                (d.why for d in record.links.dropped if d.name == candidate.name), "理由は記録されていません"
            )
            unlinked.append({"part": candidate.part, "title": candidate.title, "score": candidate.score, "why": reason})
    known = {(c.part, c.name) for c in record.links.candidates}
    for dropped in record.links.dropped:
        if (dropped.part, dropped.name) not in known and dropped.name not in seen:
            title = editor.link_title(dropped.name, record, site)
            unlinked.append({"part": dropped.part, "title": title, "score": None, "why": dropped.why})
    return links, unlinked


def create_app(
    out_dir: Path,
    site: Path | None,
    settings: Settings,
    instincts: dict[str, Instinct],
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    allowed_hosts: Iterable[str] | None = None,
    voice: VoiceProfile | None = None,
) -> Starlette:
    """The review app for the drafts in `out_dir`, served at host:port: requests naming another host are
    refused, as are POSTs from another origin. `allowed_hosts` ("name:port") replaces the hosts derived from
    host:port, for a server reached by another name (a test client's `testserver`). `voice`: the site's voice
    (voice.yml) that an editor's save and a publish judge the draft by, as `check` does."""
    token = secrets.token_urlsafe(32)
    hosts = frozenset(allowed_hosts) if allowed_hosts is not None else served_hosts(host, port)

    def page(request: Request, name: str, context: dict, status: int = 200) -> Response:
        return TEMPLATES.TemplateResponse(request, name, {"csrf": token, "site": site, **context}, status_code=status)

    async def checked_form(request: Request) -> dict:
        form = await request.form()
        if not secrets.compare_digest(str(form.get("csrf", "")).encode(), token.encode()):
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
        context = {"drafts": list_drafts(out_dir), "briefs": review_briefs.list_briefs(out_dir), "out": out_dir}
        return page(request, "list.html", context)

    async def site_report(request: Request) -> Response:
        """The site's report (`genpost report`), its actions the app's buttons; with performance.file's data."""
        if site is None:
            return PlainTextResponse("レポートには --site が必要です（genpost review --site DIR）", status_code=404)
        read = Site(site, settings.site.layout)
        try:
            figures = await run_in_threadpool(performance_for, settings.performance, read)
            stale = await find_stale(site, out_dir, settings, instincts, performance=figures)
        except GenpostError as exc:
            return PlainTextResponse(f"レポートを作れませんでした: {exc}", status_code=422)
        cache = out_dir / ".genpost" / "site-index.json"
        args = (read, stale, figures, open_refreshes(out_dir), datetime.now(settings.site.zone), cache)
        made = await run_in_threadpool(build_report, *args)
        return HTMLResponse(render_report(made, in_app=True, csrf=token))

    async def refresh_from_report(request: Request) -> Response:
        """A refresh draft of the post the report names; the editor lands on it."""
        try:
            form = await checked_form(request)
        except PermissionError:
            return PlainTextResponse(BAD_TOKEN, status_code=403)
        if site is None:
            return PlainTextResponse(NOT_FOUND, status_code=404)
        try:
            path = resolve_post(site, str(form.get("post", "")))
            gateway = Gateway(make_provider(settings.llm), settings.llm, PromptBook())
            try:
                desk = Desk(settings, instincts, gateway, out_dir, voice=voice)
                done = await refresh_post(desk, site, path)
            finally:
                await gateway.close()
        except GenpostError as exc:
            return PlainTextResponse(f"更新の下書きを作れませんでした: {exc}", status_code=422)
        if done is None:
            return PlainTextResponse("この記事には更新する理由がありません", status_code=200)
        return back(done.path.name, "更新の下書きを作りました")

    def brief_page(request: Request, path: Path, message: str, status: int = 200) -> Response:
        text = path.read_text(encoding="utf-8")
        try:
            found = read_brief(path)
        except GenpostError as exc:
            return PlainTextResponse(f"ブリーフを読めません: {exc}", status_code=422)
        context = {
            "name": path.name,
            "brief": found,
            "message": message,
            "version": stamp_of(text),
            "who": who_runs(),
            "points_text": review_briefs.points_text,
        }
        return page(request, "brief.html", context, status)

    def brief_of(request: Request) -> Path | None:
        try:
            return review_briefs.brief_path(out_dir, request.path_params["name"])
        except GenpostError:
            return None

    async def show_brief(request: Request) -> Response:
        path = brief_of(request)
        if path is None:
            return PlainTextResponse(NOT_FOUND, status_code=404)
        return brief_page(request, path, request.query_params.get("msg", ""))

    async def brief_action(request: Request) -> Response:
        """Save an editor's changes to a brief, or approve it (CSRF-checked, under the brief's lock)."""
        try:
            form = await checked_form(request)
        except PermissionError:
            return PlainTextResponse(BAD_TOKEN, status_code=403)
        path = brief_of(request)
        if path is None:
            return PlainTextResponse(NOT_FOUND, status_code=404)
        action, who = request.path_params["action"], str(form.get("who", ""))
        try:
            if action == "save":
                fields = {key: str(value) for key, value in form.items()}
                saved = await run_in_threadpool(review_briefs.save, path, fields, str(form.get("version", "")), who)
                message = "保存しました" + (
                    "" if saved.approved else "（承認は取り消されました。もう一度承認してください）"
                )
            elif action == "approve":
                await run_in_threadpool(review_briefs.approve, path, who)
                message = "承認しました。genpost --brief でこの構成の下書きを書けます"
            else:
                return PlainTextResponse(NOT_FOUND, status_code=404)
        except GenpostError as exc:
            status = 409 if isinstance(exc, review_briefs.StaleBrief | DraftBusy) else 422
            return brief_page(request, path, f"できませんでした: {exc}", status)
        return RedirectResponse(f"/briefs/{quote(path.name)}?msg={quote(message)}", status_code=303)

    async def show(request: Request) -> Response:
        name = request.path_params["name"]
        try:
            draft = draft_path(out_dir, name)
        except GenpostError:
            return PlainTextResponse(NOT_FOUND, status_code=404)
        return draft_page(request, draft, request.query_params.get("msg", ""))

    def draft_page(
        request: Request, draft: Path, message: str, kept: dict | None = None, status: int = 200
    ) -> Response:
        """The draft page; `kept`: an editor's refused save, shown again in the editor so nothing is lost."""
        name = draft.name
        text = draft.read_text(encoding="utf-8")
        doc = parse(text)
        front, body_text = doc.front.fields, text[len(doc.front.source or "") :]
        try:
            record, unreadable = read_record(draft), ""
        except UnreadableRecord as exc:
            record, unreadable = None, str(exc)
        findings = record.findings if record else []
        figures = [f.figure for f in findings if f.figure]
        related = []
        for item in record.related if record else []:
            exists = bool(site) and any((site / "_posts" / f"{item.name}.{e}").exists() for e in ("md", "markdown"))
            related.append({"name": item.name, "title": item.title, "exists": exists})
        state = load_state(draft)
        links, unlinked = link_card(doc, record, site)
        context = {
            "name": name,
            "front": front,
            "body": render_post(text, figures),
            "findings": findings,
            "record": record,
            "unreadable": unreadable,
            "hero": doc.front.image if is_web_url(doc.front.image) else None,
            "record_json": json.dumps(json.loads(record.model_dump_json()), ensure_ascii=False, indent=2)
            if record
            else "",
            "related": related,
            "links": links,
            "unlinked": unlinked,
            "state": state,
            "parts": regenerate.parts(record) if record else [],
            "notes": source_notes(record) if record else [],
            "candidate": candidate(record, state.pending),
            "message": message,
            "edit": kept
            or {
                "body": body_text,
                "title": doc.front.title,
                "description": doc.front.description,
                "tags": "、".join(doc.front.tags),
                "who": who_runs(),
            },
            "version": stamp_of(text),
            "versions": list(reversed(state.versions)),
            "refresh": review_card(draft, record, site),
        }
        return page(request, "draft.html", context, status)

    async def posted(request: Request) -> tuple[Path, dict] | Response:
        """The draft a POST names, and its form; or the refusal (403 without the CSRF token, 404 outside out/)."""
        try:
            form = await checked_form(request)
        except PermissionError:
            return PlainTextResponse(BAD_TOKEN, status_code=403)
        try:
            return draft_path(out_dir, request.path_params["name"]), form
        except GenpostError:
            return PlainTextResponse(NOT_FOUND, status_code=404)

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
        version = str(form.get("version", ""))
        try:
            args = (draft, body, fields, version, who, settings, instincts, site, voice)
            saved = await run_in_threadpool(editor.save, *args)
        except GenpostError as exc:
            kept = {**fields, "body": body, "who": who}
            status = 409 if isinstance(exc, editor.StaleDraft | DraftBusy) else 422
            return draft_page(request, draft, f"保存できませんでした: {exc}", kept, status)
        count = sum(f.severity == "error" for f in saved.findings)
        return back(name, f"保存しました（品質チェック: エラー {count} 件、全 {len(saved.findings)} 件）")

    async def unlink(request: Request) -> Response:
        """Drop one internal link: its markup goes, its words stay (the block, the target, which of its links to
        that target, and the page's version stamp come with the form)."""
        got = await posted(request)
        if isinstance(got, Response):
            return got
        draft, form = got
        target, version = str(form.get("target", "")), str(form.get("version", ""))
        who = str(form.get("who", ""))
        try:
            index, nth = int(str(form.get("block", ""))), int(str(form.get("nth", "0")) or "0")
        except ValueError:
            return draft_page(request, draft, "リンクを外せませんでした: そのリンクは下書きにありません", None, 422)
        try:
            args = (draft, index, target, nth, version, who, settings, instincts, site, voice)
            done = await run_in_threadpool(editor.unlink, *args)
        except GenpostError as exc:
            status = 409 if isinstance(exc, editor.StaleDraft | DraftBusy) else 422
            return draft_page(request, draft, f"リンクを外せませんでした: {exc}", None, status)
        count = sum(f.severity == "error" for f in done.findings)
        return back(
            draft.name,
            f"リンクを外しました: {done.title}（品質チェック: エラー {count} 件、全 {len(done.findings)} 件）",
        )

    async def version_diff(request: Request) -> Response:
        name = request.path_params["name"]
        try:
            draft = draft_path(out_dir, name)
            number = int(request.path_params["number"])
        except (GenpostError, ValueError):
            return PlainTextResponse(NOT_FOUND, status_code=404)
        found = [v for v in load_state(draft).versions if v.number == number]
        if not found:
            return PlainTextResponse(NOT_FOUND, status_code=404)
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
            await run_in_threadpool(approve, draft, str(form.get("note", "")))
            return "承認しました"
        if action == "publish":
            if site is None:
                raise GenpostError("公開するには、--site を付けてレビューアプリを起動してください")
            try:
                done = await publish(draft, site, settings, instincts, force=form.get("force") == "on", voice=voice)
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
            await run_in_threadpool(reject, draft, str(form.get("note", "")))
            return "却下しました"
        if action == "regenerate":
            gateway = Gateway(make_provider(settings.llm), settings.llm, PromptBook())
            try:
                desk = Desk(settings, instincts, gateway, out_dir, voice=voice)
                await regenerate.propose(draft, str(form.get("part", "")), str(form.get("note", "")), desk, gateway)
            finally:
                await gateway.close()
            return "書き直し案ができました。確認して差し替えるか破棄してください"
        if action == "accept":
            who = str(form.get("who", "")) or who_runs()
            desk = Desk(settings, instincts, None, out_dir, voice=voice)
            findings = await run_in_threadpool(regenerate.accept, draft, desk, who)
            return f"差し替えました（エラー {sum(f.severity == 'error' for f in findings)} 件）"
        if action == "discard":
            await run_in_threadpool(regenerate.discard, draft)
            return "書き直し案を破棄しました"
        raise GenpostError(f"「{action}」という操作はありません")

    async def server_error(request: Request, exc: Exception) -> Response:
        """A failure's page carries the security headers too (it is sent outside the guard)."""
        return PlainTextResponse("内部エラーが起きました", status_code=500, headers=SECURITY_HEADERS)

    routes = [
        Route("/", index),
        Route("/drafts/{name}", show),
        Route("/drafts/{name}/versions/{number}", version_diff),
        Route("/drafts/{name}/preview", preview, methods=["POST"]),
        Route("/drafts/{name}/save", save_edit, methods=["POST"]),
        Route("/drafts/{name}/unlink", unlink, methods=["POST"]),
        Route("/drafts/{name}/{action}", act, methods=["POST"]),
        Route("/report", site_report),
        Route("/report/refresh", refresh_from_report, methods=["POST"]),
        Route("/briefs/{name}", show_brief),
        Route("/briefs/{name}/{action}", brief_action, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(Guard, hosts=hosts)], exception_handlers={500: server_error})
