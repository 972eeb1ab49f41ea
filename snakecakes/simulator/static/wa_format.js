// WhatsApp's text formatting, rendered as DOM nodes (never as HTML strings, so text from the bot or
// a customer cannot inject markup): *bold*, _italic_, ~strike~, `code`, ```monospace blocks```,
// "> " quotes, "- " / "* " bullet lists, "1. " numbered lists, and http(s) links.
"use strict";

(function (global) {
  // A marker counts only at a word edge and around non-space text, as in WhatsApp.
  const INLINE =
    /`([^`\n]+)`|(https?:\/\/[^\s<>"]*[^\s<>".,;:!?)\]'])|(?<![\w*_~])([*_~])(?!\s)((?:(?!\3)[^\n])+?)(?<!\s)\3(?![\w*_~])/g;
  const TAGS = { "*": "strong", _: "em", "~": "s" };

  function inline(text, parent) {
    let last = 0;
    for (const m of text.matchAll(INLINE)) {
      if (m.index > last) parent.append(document.createTextNode(text.slice(last, m.index)));
      if (m[1] !== undefined) {
        const code = document.createElement("code");
        code.textContent = m[1];
        parent.append(code);
      } else if (m[2] !== undefined) {
        const a = document.createElement("a");
        a.href = m[2];
        a.textContent = m[2];
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        parent.append(a);
      } else {
        const el = document.createElement(TAGS[m[3]]);
        inline(m[4], el);
        parent.append(el);
      }
      last = m.index + m[0].length;
    }
    if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
  }

  function lines(text, parent) {
    let list = null;
    let kind = null;
    let first = true;
    for (const line of text.split("\n")) {
      const bullet = /^\s*[-*•]\s+(.*)$/.exec(line);
      const numbered = /^\s*(\d+)[.)]\s+(.*)$/.exec(line);
      const quote = /^>\s?(.*)$/.exec(line);
      const want = bullet ? "ul" : numbered ? "ol" : null;
      if (want) {
        if (kind !== want) {
          list = document.createElement(want);
          if (numbered) list.start = Number(numbered[1]);
          parent.append(list);
          kind = want;
        }
        const li = document.createElement("li");
        inline(bullet ? bullet[1] : numbered[2], li);
        list.append(li);
        first = true;
        continue;
      }
      list = kind = null;
      if (quote) {
        const q = document.createElement("blockquote");
        inline(quote[1], q);
        parent.append(q);
        first = true;
        continue;
      }
      if (!first) parent.append(document.createElement("br"));
      inline(line, parent);
      first = false;
    }
  }

  // Render `text` into a new element: ```blocks``` first, then lines with inline formatting.
  function render(text) {
    const root = document.createElement("div");
    root.className = "text";
    const parts = String(text ?? "").split("```");
    parts.forEach((part, i) => {
      if (i % 2 === 1 && i < parts.length - 1) {
        const pre = document.createElement("pre");
        pre.textContent = part.replace(/^\n/, "");
        root.append(pre);
      } else {
        const chunk = i % 2 === 1 ? "```" + part : part;
        const body = i ? chunk.replace(/^\n/, "") : chunk;
        if (body) lines(body, root);
      }
    });
    return root;
  }

  global.waFormat = { render, inline };
})(window);
