// The simulator page: choose a bot and a customer, send what a customer sends, and poll the chat
// (what the bot sent to the fake Graph API, ticks, typing) from the simulator's JSON endpoints.
"use strict";

(function () {
  const BASE = document.body.dataset.base || "/simulator";
  const { el, render } = window.bubbles;
  const $ = (id) => document.getElementById(id);
  const EMOJIS = ["👍", "❤️", "😂", "😮", "😢", "🙏"];
  const state = {
    bot: null,
    customer: null,
    rev: 0,
    entries: new Map(), // id -> entry
    rows: new Map(), // id -> element
    reported: new Set(), // ids of the bot's messages reported read
    bots: [],
    customers: [],
    typing: false,
    generation: 0, // bumps when the chat changes, so stale polls are ignored
  };

  async function api(path, { json, form } = {}) {
    const init = { method: "GET", headers: {} };
    if (json !== undefined) {
      init.method = "POST";
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    } else if (form) {
      init.method = "POST";
      init.body = form;
    }
    if (init.method === "POST") init.headers["X-Simulator"] = "1";
    const response = await fetch(BASE + path, init);
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (!response.ok) throw new Error((data && data.error) || `HTTP ${response.status}`);
    return data;
  }

  let errorTimer = null;
  function showError(err) {
    const box = $("error");
    box.textContent = String(err && err.message ? err.message : err);
    box.hidden = false;
    clearTimeout(errorTimer);
    errorTimer = setTimeout(() => (box.hidden = true), 5000);
  }

  // -- bots and customers -------------------------------------------------------------------

  function renderBots() {
    const select = $("bot-select");
    select.replaceChildren();
    for (const b of state.bots) {
      const option = el("option", "", `${b.name} (+${b.display_phone_number})`);
      option.value = b.phone_number_id;
      select.append(option);
    }
    select.value = state.bot || "";
  }

  function renderCustomers() {
    const list = $("customers");
    list.replaceChildren();
    for (const c of state.customers) {
      const item = el("li", "customer" + (c.wa_id === state.customer ? " active" : ""));
      item.dataset.waId = c.wa_id;
      item.append(el("div", "c-name", c.name), el("div", "c-number", "+" + c.wa_id));
      item.addEventListener("click", () => choose(state.bot, c.wa_id));
      list.append(item);
    }
  }

  async function loadState() {
    const data = await api("/api/state");
    state.bots = data.bots;
    state.customers = data.customers;
    const params = new URLSearchParams(location.search);
    const bot = params.get("bot") || state.bot || (state.bots[0] || {}).phone_number_id;
    const customer =
      params.get("customer") || state.customer || (state.customers[0] || {}).wa_id;
    renderBots();
    choose(bot, customer);
  }

  async function refreshCustomers() {
    const customers = (await api("/api/state")).customers;
    if (customers.length !== state.customers.length) {
      state.customers = customers;
      renderCustomers();
    }
  }

  function choose(bot, customer) {
    const changed = bot !== state.bot || customer !== state.customer;
    state.bot = bot;
    state.customer = customer;
    renderBots();
    renderCustomers();
    const c = state.customers.find((x) => x.wa_id === customer);
    const b = state.bots.find((x) => x.phone_number_id === bot);
    $("chat-title").textContent = b ? b.name : "no bot";
    $("chat-sub").textContent = c ? `chatting as ${c.name} (+${c.wa_id})` : "choose a customer";
    if (changed) {
      state.generation += 1;
      state.rev = 0;
      state.entries.clear();
      state.rows.clear();
      state.reported.clear();
      $("messages").replaceChildren();
      history.replaceState(null, "", `?bot=${encodeURIComponent(bot)}&customer=${encodeURIComponent(customer)}`);
      poll();
    }
  }

  // -- the chat -------------------------------------------------------------------------------

  const actions = {
    tapButton: (entry, reply) =>
      send("button_reply", { id: reply.id, title: reply.title, context_wamid: entry.wamid }),
    openList: (entry, interactive) => openList(entry, interactive),
    askLocation: () => toggle("location-form", true),
    pickReaction: (entry, anchor) => pickReaction(entry, anchor),
  };

  function upsert(entry) {
    state.entries.set(entry.id, entry);
    const quotedId = ((entry.message || {}).context || {}).id || ((entry.message || {}).context || {}).message_id;
    const quoted = quotedId ? [...state.entries.values()].find((e) => e.wamid === quotedId) : null;
    const row = render(entry, actions, quoted);
    const old = state.rows.get(entry.id);
    if (old) old.replaceWith(row);
    else $("messages").insertBefore(row, $("typing-row"));
    state.rows.set(entry.id, row);
  }

  function renderTyping(typing) {
    let row = $("typing-row");
    if (!row) {
      row = el("div", "row theirs typing-row");
      row.id = "typing-row";
      const bubble = el("div", "msg typing");
      bubble.append(el("span", "dot"), el("span", "dot"), el("span", "dot"));
      row.append(bubble);
      $("messages").append(row);
    }
    row.hidden = !typing;
    const c = state.customers.find((x) => x.wa_id === state.customer);
    $("chat-sub").textContent = typing ? "typing…" : c ? `chatting as ${c.name} (+${c.wa_id})` : "";
  }

  async function poll() {
    const generation = state.generation;
    clearTimeout(state.timer);
    if (!state.bot || !state.customer) return;
    try {
      const q = `?bot=${encodeURIComponent(state.bot)}&customer=${encodeURIComponent(state.customer)}&since=${state.rev}`;
      const data = await api("/api/chat" + q);
      if (generation !== state.generation) return;
      const box = $("messages");
      const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
      renderTyping(data.typing);
      for (const entry of data.entries) upsert(entry);
      state.rev = Math.max(state.rev, data.rev);
      if (data.entries.length && atBottom) box.scrollTop = box.scrollHeight;
      reportRead();
      state.polls = (state.polls || 0) + 1;
      if (state.polls % 10 === 0) refreshCustomers().catch(() => {}); // the bot may write first
      state.timer = setTimeout(poll, 500);
    } catch (err) {
      if (generation === state.generation) state.timer = setTimeout(poll, 2000);
    }
  }

  // "Read" is reported only for messages the page has shown while visible, like a phone.
  function reportRead() {
    if (document.visibilityState !== "visible") return;
    const ids = [...state.entries.values()]
      .filter((e) => e.dir === "out" && e.status !== "read" && !state.reported.has(e.id))
      .map((e) => e.id);
    if (!ids.length) return;
    ids.forEach((id) => state.reported.add(id));
    api("/api/read", { json: { bot: state.bot, customer: state.customer, ids } }).catch(showError);
  }

  async function send(type, data) {
    try {
      const entry = await api("/api/send", {
        json: { ...data, type, bot: state.bot, customer: state.customer },
      });
      if (entry && entry.id) upsert(entry);
      $("messages").scrollTop = $("messages").scrollHeight;
      poll();
    } catch (err) {
      showError(err);
      poll();
    }
  }

  // -- lists, reactions, forms ----------------------------------------------------------------

  function openList(entry, interactive) {
    const action = interactive.action || {};
    $("list-title").textContent = action.button || "Choose";
    const body = $("list-body");
    body.replaceChildren();
    for (const section of action.sections || []) {
      if (section.title) body.append(el("div", "section-title", section.title));
      for (const r of section.rows || []) {
        const btn = el("button", "list-row");
        btn.type = "button";
        btn.dataset.rowId = r.id;
        btn.append(el("div", "row-title", r.title));
        if (r.description) btn.append(el("div", "row-desc", r.description));
        btn.addEventListener("click", () => {
          $("list-sheet").hidden = true;
          const reply = { id: r.id, title: r.title, context_wamid: entry.wamid };
          if (r.description) reply.description = r.description;
          send("list_reply", reply);
        });
        body.append(btn);
      }
    }
    $("list-sheet").hidden = false;
  }

  function pickReaction(entry, anchor) {
    const picker = $("emoji-picker");
    picker.replaceChildren();
    const current = (entry.reactions || {}).customer;
    for (const emoji of EMOJIS) {
      const btn = el("button", emoji === current ? "chosen" : "", emoji);
      btn.type = "button";
      btn.addEventListener("click", () => {
        picker.hidden = true;
        send("reaction", { message_id: entry.wamid, emoji: emoji === current ? "" : emoji });
      });
      picker.append(btn);
    }
    const rect = anchor.getBoundingClientRect();
    picker.style.left = `${Math.max(8, rect.left - 100)}px`;
    picker.style.top = `${Math.max(8, rect.top - 48)}px`;
    picker.hidden = false;
  }

  function toggle(id, show) {
    for (const other of ["location-form", "upload-form"]) if (other !== id) $(other).hidden = true;
    $(id).hidden = show === undefined ? !$(id).hidden : !show;
  }

  function wire() {
    $("composer-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const text = $("text").value.trim();
      if (!text) return;
      $("text").value = "";
      send("text", { text });
    });
    $("bot-select").addEventListener("change", (ev) => choose(ev.target.value, state.customer));
    $("new-customer").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const c = await api("/api/customers", {
          json: { name: $("new-name").value, wa_id: $("new-number").value },
        });
        ev.target.reset();
        state.customers = (await api("/api/state")).customers;
        choose(state.bot, c.wa_id);
      } catch (err) {
        showError(err);
      }
    });
    $("share-location").addEventListener("click", () => toggle("location-form"));
    $("attach").addEventListener("click", () => toggle("upload-form"));
    $("location-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const data = Object.fromEntries(new FormData(ev.target).entries());
      toggle("location-form", false);
      send("location", data);
    });
    $("upload-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const form = new FormData(ev.target);
      form.append("bot", state.bot);
      form.append("customer", state.customer);
      toggle("upload-form", false);
      try {
        const entry = await api("/api/upload", { form });
        ev.target.reset();
        upsert(entry);
        poll();
      } catch (err) {
        showError(err);
      }
    });
    document.querySelectorAll("[data-close]").forEach((b) =>
      b.addEventListener("click", () => {
        b.closest("form, .sheet").hidden = true;
      })
    );
    document.addEventListener("click", (ev) => {
      if (!ev.target.closest("#emoji-picker, .react")) $("emoji-picker").hidden = true;
    });
    document.addEventListener("visibilitychange", reportRead);
  }

  wire();
  loadState().catch(showError);
})();
