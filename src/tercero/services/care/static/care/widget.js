/* Tercero chat widget. Embed with:
 *   <script src="https://tercero.example/care/widget.js" data-tercero-chat="CHANNEL-KEY"
 *           data-base="https://tercero.example" defer></script>
 * No dependencies, no inline styles or eval (works under a strict Content-Security-Policy),
 * no cookies: the chat token lives in this tab's sessionStorage. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var key = script.getAttribute("data-tercero-chat");
  var base = (script.getAttribute("data-base") || "").replace(/\/$/, "");
  var startOpen = script.getAttribute("data-open") === "true";
  // the client's brand: a colour "#rrggbb" and a name for the chat's header
  var given = script.getAttribute("data-colour") || "";
  var colour = /^#[0-9a-fA-F]{6}$/.test(given) ? given : "#1f5fa8";
  var brand = (script.getAttribute("data-name") || "").slice(0, 100) || "Chat";
  var api = base + "/care/w/" + encodeURIComponent(key) + "/chat/";
  var store = "tercero-chat-" + key;
  var token = null;
  try { token = window.sessionStorage.getItem(store); } catch (e) { token = null; }
  var lastId = 0;
  var timer = null;

  function el(tag, attrs, styles, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    Object.keys(styles || {}).forEach(function (name) { node.style[name] = styles[name]; });
    if (text) { node.textContent = text; }
    return node;
  }

  var font = "system-ui, -apple-system, 'Segoe UI', sans-serif";
  var launcher = el("button", { type: "button", "aria-expanded": "false", "aria-controls": "tercero-chat-panel", id: "tercero-chat-open" },
    { position: "fixed", right: "1.25rem", bottom: "1.25rem", padding: "0.75rem 1.1rem", borderRadius: "999px",
      border: "0", background: colour, color: "#fff", font: "600 1rem " + font, cursor: "pointer", zIndex: "2147483000" },
    "Chat with us");
  var panel = el("section", { id: "tercero-chat-panel", role: "dialog", "aria-label": "Chat", hidden: "" },
    { position: "fixed", right: "1.25rem", bottom: "4.75rem", width: "min(22rem, calc(100vw - 2.5rem))",
      maxHeight: "70vh", display: "none", flexDirection: "column", background: "#fff", color: "#1b1f24",
      border: "1px solid #c9d1da", borderRadius: "12px", boxShadow: "0 8px 28px rgba(0,0,0,.18)",
      font: "0.95rem/1.4 " + font, zIndex: "2147483000", overflow: "hidden" });
  var head = el("header", {}, { padding: "0.75rem 1rem", background: colour, color: "#fff", fontWeight: "600" }, brand);
  var log = el("ol", { id: "tercero-chat-log", "aria-live": "polite" },
    { listStyle: "none", margin: "0", padding: "0.75rem 1rem", overflowY: "auto", flex: "1 1 auto", minHeight: "6rem" });
  var status = el("p", { role: "status", id: "tercero-chat-status" }, { margin: "0 1rem", color: "#8a1c1c", fontSize: "0.85rem" });
  var body = el("div", {}, { padding: "0.75rem 1rem", borderTop: "1px solid #e3e8ee" });
  panel.appendChild(head); panel.appendChild(log); panel.appendChild(status); panel.appendChild(body);

  function field(id, label, type) {
    var wrap = el("div", {}, { marginBottom: "0.5rem" });
    var lab = el("label", { "for": id }, { display: "block", fontWeight: "600", fontSize: "0.85rem" }, label);
    var input = el(type === "textarea" ? "textarea" : "input", { id: id, name: id }, { width: "100%", boxSizing: "border-box", padding: "0.4rem", font: "inherit" });
    if (type !== "textarea") { input.setAttribute("type", type); }
    wrap.appendChild(lab); wrap.appendChild(input);
    return { wrap: wrap, input: input };
  }
  function button(text, id) {
    return el("button", { type: "submit", id: id }, { padding: "0.45rem 0.9rem", border: "0", borderRadius: "6px",
      background: colour, color: "#fff", font: "600 0.95rem " + font, cursor: "pointer" }, text);
  }

  function request(method, path, payload) {
    var headers = { "Content-Type": "application/json" };
    if (token) { headers["X-Chat-Token"] = token; }
    return fetch(api + path, { method: method, headers: headers, credentials: "omit",
      body: payload ? JSON.stringify(payload) : undefined }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error((data.error && data.error.message) || "Something went wrong.");
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  function show(line) {
    if (line.id <= lastId) { return; }
    lastId = line.id;
    var mine = line.from === "you";
    var item = el("li", { "class": "tercero-line tercero-" + line.from }, { margin: "0 0 0.5rem", textAlign: mine ? "right" : "left" });
    var bubble = el("span", {}, { display: "inline-block", padding: "0.4rem 0.65rem", borderRadius: "10px", maxWidth: "85%",
      whiteSpace: "pre-wrap", textAlign: "left", background: mine ? colour : "#eef2f6", color: mine ? "#fff" : "#1b1f24" }, line.text);
    var who = el("span", {}, { position: "absolute", left: "-10000px" }, mine ? "You: " : "Agent: ");
    item.appendChild(who); item.appendChild(bubble); log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function poll() {
    if (!token) { return; }
    request("GET", "lines?after=" + lastId).then(function (data) {
      data.lines.forEach(show);
      if (data.ended) { finished("This chat has ended. Thank you!"); }
    }).catch(function (error) {
      if (error.status === 404) { forget(); }
    });
  }

  function forget() {
    token = null;
    try { window.sessionStorage.removeItem(store); } catch (e) { /* private mode */ }
    stop(); askDetails();
  }
  function stop() { if (timer) { window.clearInterval(timer); timer = null; } }

  function finished(text) {
    stop();
    body.textContent = "";
    body.appendChild(el("p", {}, { margin: "0" }, text));
    var again = el("button", { type: "button" }, { marginTop: "0.5rem" }, "Start a new chat");
    again.addEventListener("click", forget);
    body.appendChild(again);
  }

  function chatting() {
    body.textContent = "";
    var form = el("form", { id: "tercero-chat-form" });
    var text = field("tercero-chat-text", "Your message", "textarea");
    text.input.setAttribute("rows", "2"); text.input.setAttribute("maxlength", "5000"); text.input.required = true;
    var row = el("div", {}, { display: "flex", gap: "0.5rem", justifyContent: "space-between" });
    var send = button("Send", "tercero-chat-send");
    var end = el("button", { type: "button", id: "tercero-chat-end" }, { background: "none", border: "0", color: colour, cursor: "pointer", font: "inherit" }, "End chat");
    row.appendChild(send); row.appendChild(end);
    form.appendChild(text.wrap); form.appendChild(row); body.appendChild(form);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = text.input.value.trim();
      if (!value) { return; }
      send.disabled = true;
      request("POST", "lines", { text: value }).then(function () {
        text.input.value = ""; status.textContent = ""; poll();
      }).catch(function (error) { status.textContent = error.message; })
        .then(function () { send.disabled = false; text.input.focus(); });
    });
    end.addEventListener("click", function () {
      request("POST", "end").then(function () { finished("Chat ended. Thank you!"); });
    });
    if (!timer) { timer = window.setInterval(poll, 2000); }
    poll();
  }

  function askDetails() {
    body.textContent = "";
    log.textContent = "";
    lastId = 0;
    var form = el("form", { id: "tercero-chat-start" });
    var name = field("tercero-chat-name", "Your name", "text");
    var email = field("tercero-chat-email", "E-mail (for a copy of our answer)", "email");
    var first = field("tercero-chat-first", "How can we help?", "textarea");
    name.input.required = true; name.input.setAttribute("autocomplete", "name");
    email.input.setAttribute("autocomplete", "email"); first.input.required = true;
    [name, email, first].forEach(function (f) { form.appendChild(f.wrap); });
    var start = button("Start chat", "tercero-chat-begin");
    form.appendChild(start); body.appendChild(form);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      start.disabled = true;
      request("POST", "start", { name: name.input.value, email: email.input.value, message: first.input.value })
        .then(function (data) {
          token = data.token;
          try { window.sessionStorage.setItem(store, token); } catch (e) { /* private mode */ }
          status.textContent = "";
          log.appendChild(el("li", {}, { color: "#5b6672", margin: "0 0 0.5rem" }, data.greeting));
          chatting();
        })
        .catch(function (error) { status.textContent = error.message; start.disabled = false; });
    });
  }

  function toggle(open) {
    if (open) { panel.removeAttribute("hidden"); } else { panel.setAttribute("hidden", ""); }
    panel.style.display = open ? "flex" : "none";
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) { var input = panel.querySelector("input, textarea"); if (input) { input.focus(); } }
  }
  launcher.addEventListener("click", function () { toggle(panel.hasAttribute("hidden")); });

  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(launcher);
    if (token) { chatting(); } else { askDetails(); }
    if (startOpen) { toggle(true); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", mount); } else { mount(); }
}());
