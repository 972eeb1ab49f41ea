// Chat bubbles from wire messages: the bot's Graph API send bodies and the customer's webhook
// messages. Every text goes in through textContent or waFormat (DOM nodes), never innerHTML.
"use strict";

(function (global) {
  const BASE = document.body.dataset.base || "/simulator";
  const TICKS = { pending: "🕓", sent: "✓", delivered: "✓✓", read: "✓✓", failed: "⚠" };

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function safeUrl(url) {
    return /^https?:\/\//i.test(String(url || "")) ? String(url) : null;
  }

  function mediaUrl(media) {
    if (!media) return null;
    if (media.id) return `${BASE}/media/${encodeURIComponent(media.id)}`;
    return safeUrl(media.link);
  }

  // A one-line summary, for quotes of the message a reply answers.
  function summary(m) {
    if (!m) return "";
    const i = m.interactive || {};
    return (
      (m.text && m.text.body) ||
      (i.body && i.body.text) ||
      (i.button_reply && i.button_reply.title) ||
      (i.list_reply && i.list_reply.title) ||
      (m.image && (m.image.caption || "📷 Photo")) ||
      (m.document && `📄 ${m.document.filename || "Document"}`) ||
      (m.location && "📍 Location") ||
      `[${m.type}]`
    );
  }

  function mediaNode(kind, media) {
    const url = mediaUrl(media);
    const box = el("div", "media");
    if (kind === "image" || kind === "sticker") {
      if (url) {
        const img = el("img");
        img.src = url;
        img.alt = media.caption || kind;
        img.loading = "lazy";
        box.append(img);
      } else box.append(el("span", "muted", "📷 image"));
    } else {
      const icons = { document: "📄", audio: "🎵", video: "🎬" };
      const name = media.filename || kind;
      const link = url ? el("a", "doc", `${icons[kind] || "📎"} ${name}`) : el("span", "doc", name);
      if (url) {
        link.href = url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
      }
      box.append(link);
    }
    if (media.caption) box.append(global.waFormat.render(media.caption));
    return box;
  }

  function locationNode(loc) {
    const box = el("div", "location");
    box.append(el("div", "loc-pin", "📍 " + (loc.name || "Location")));
    if (loc.address) box.append(el("div", "muted", loc.address));
    const lat = Number(loc.latitude);
    const lon = Number(loc.longitude);
    const a = el("a", "", `${lat.toFixed(5)}, ${lon.toFixed(5)}`);
    a.href = `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    box.append(a);
    return box;
  }

  // Interactive messages: the bubble content plus the tappable parts below it.
  function interactiveNodes(i, entry, actions) {
    const content = el("div", "interactive");
    const extras = [];
    if (i.header && i.header.text) content.append(el("div", "i-header", i.header.text));
    if (i.body) content.append(global.waFormat.render(i.body.text));
    if (i.footer) content.append(el("div", "i-footer", i.footer.text));
    const action = i.action || {};
    if (i.type === "button") {
      for (const b of action.buttons || []) {
        const reply = b.reply || {};
        const btn = el("button", "reply-button", reply.title);
        btn.type = "button";
        btn.dataset.replyId = reply.id;
        btn.addEventListener("click", () => actions.tapButton(entry, reply));
        extras.push(btn);
      }
    } else if (i.type === "list") {
      const btn = el("button", "reply-button list-open", "☰ " + (action.button || "Choose"));
      btn.type = "button";
      btn.addEventListener("click", () => actions.openList(entry, i));
      extras.push(btn);
    } else if (i.type === "cta_url") {
      const p = action.parameters || {};
      const url = safeUrl(p.url);
      const link = el("a", "reply-button", "↗ " + (p.display_text || "Open"));
      if (url) link.href = url;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      extras.push(link);
    } else if (i.type === "location_request_message") {
      const btn = el("button", "reply-button", "📍 Send location");
      btn.type = "button";
      btn.addEventListener("click", () => actions.askLocation());
      extras.push(btn);
    } else if (i.type === "button_reply" || i.type === "list_reply") {
      const r = i[i.type] || {};
      content.append(el("div", "text", r.title));
      if (r.description) content.append(el("div", "muted", r.description));
    }
    return { content, extras };
  }

  function templateNode(t) {
    const box = el("div", "template");
    box.append(el("div", "muted", `📋 template ${t.name || ""} (${(t.language || {}).code || ""})`));
    for (const c of t.components || []) {
      const values = (c.parameters || []).map((p) => p.text || p.type).join(" · ");
      if (values) box.append(el("div", "text", values));
    }
    return box;
  }

  function contentOf(m, entry, actions) {
    const kind = m.type;
    if (kind === "text") return { content: global.waFormat.render((m.text || {}).body) };
    if (["image", "sticker", "document", "audio", "video"].includes(kind))
      return { content: mediaNode(kind, m[kind] || {}) };
    if (kind === "location") return { content: locationNode(m.location || {}) };
    if (kind === "interactive") return interactiveNodes(m.interactive || {}, entry, actions);
    if (kind === "template") return { content: templateNode(m.template || {}) };
    if (kind === "contacts") {
      const names = (m.contacts || []).map((c) => (c.name || {}).formatted_name).join(", ");
      return { content: el("div", "text", "👤 " + names) };
    }
    return { content: el("div", "muted", `[${kind} message]`) };
  }

  function timeOf(at) {
    const d = new Date(at * 1000);
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  // One row: the bubble, its time and ticks, reactions, and tappable extras.
  function render(entry, actions, quoted) {
    const mine = entry.dir === "in"; // the customer's own message (right, green)
    const row = el("div", "row " + (mine ? "mine" : "theirs"));
    row.dataset.id = entry.id;
    row.dataset.dir = entry.dir;
    row.dataset.status = entry.status;
    const bubble = el("div", "msg");
    if (quoted) {
      const quote = el("div", "quote");
      global.waFormat.inline(summary(quoted.message), quote);
      bubble.append(quote);
    }
    const { content, extras } = contentOf(entry.message || {}, entry, actions);
    bubble.append(content);
    const meta = el("div", "meta");
    meta.append(el("span", "time", timeOf(entry.at)));
    const ticks = el("span", "ticks " + entry.status, TICKS[entry.status] || "");
    ticks.title = entry.error || entry.status;
    meta.append(ticks);
    bubble.append(meta);
    const reactions = Object.values(entry.reactions || {});
    if (reactions.length) bubble.append(el("div", "reactions", reactions.join(" ")));
    // row > line > [stack > [bubble, buttons], react]: buttons as wide as their bubble
    const line = el("div", "line");
    const stack = el("div", "stack");
    stack.append(bubble);
    if (extras && extras.length) {
      const box = el("div", "extras");
      box.append(...extras);
      stack.append(box);
    }
    line.append(stack);
    if (!mine && entry.wamid) {
      const react = el("button", "react", "☺");
      react.type = "button";
      react.title = "React";
      react.addEventListener("click", (ev) => actions.pickReaction(entry, ev.currentTarget));
      line.append(react);
    }
    row.append(line);
    if (entry.error) row.append(el("div", "failed-note", entry.error));
    return row;
  }

  global.bubbles = { render, el, summary };
})(window);
