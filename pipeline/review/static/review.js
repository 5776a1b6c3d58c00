// The editor's live preview. The server renders the Markdown as the draft page does and sanitises it (no
// script, handler, style or non-web URL survives), and the page's Content-Security-Policy runs no inline
// script; so the answer can be shown as HTML. Served from /static: the page itself holds no script.
"use strict";

(() => {
  const form = document.getElementById("edit-form");
  const preview = document.getElementById("preview");
  if (!(form instanceof HTMLFormElement) || !preview) return;
  const body = form.elements.namedItem("body");
  const csrf = form.elements.namedItem("csrf");
  const url = form.dataset.preview;
  if (!(body instanceof HTMLTextAreaElement) || !(csrf instanceof HTMLInputElement) || !url) return;
  let timer = null;
  let asked = 0;
  body.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++asked;
      const data = new FormData();
      data.append("csrf", csrf.value);
      data.append("body", body.value);
      const answer = await fetch(url, { method: "POST", body: data, credentials: "same-origin", redirect: "error" });
      const html = answer.ok && (answer.headers.get("content-type") || "").startsWith("text/html");
      // An older answer arriving after a newer one is dropped.
      if (html && mine === asked) preview.innerHTML = await answer.text();
    }, 300);
  });
})();

// Dropping an internal link reloads the page: it goes in the name in the editor's form, and asks first when the editor
// holds changes not yet saved (they would be lost).
(() => {
  const form = document.getElementById("edit-form");
  if (!(form instanceof HTMLFormElement)) return;
  const body = form.elements.namedItem("body");
  const who = form.elements.namedItem("who");
  const loaded = body instanceof HTMLTextAreaElement ? body.value : "";
  for (const unlink of document.querySelectorAll("form.unlink")) {
    if (!(unlink instanceof HTMLFormElement)) continue;
    unlink.addEventListener("submit", (event) => {
      const dirty = body instanceof HTMLTextAreaElement && body.value !== loaded;
      if (dirty && !window.confirm("編集欄の変更はまだ保存されていません。リンクを外すと、その変更は失われます。続けますか？")) {
        event.preventDefault();
        return;
      }
      // Without it (no script) the app names the OS user, as the editor's name field does by default.
      if (!(who instanceof HTMLInputElement)) return;
      let mine = unlink.elements.namedItem("who");
      if (!(mine instanceof HTMLInputElement)) {
        mine = document.createElement("input");
        mine.type = "hidden";
        mine.name = "who";
        unlink.append(mine);
      }
      mine.value = who.value;
    });
  }
})();
