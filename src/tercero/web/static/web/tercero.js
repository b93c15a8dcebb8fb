/* Tercero's only script of its own: idle warning, running timers, small conveniences.
   Loaded with the page's CSP nonce; no inline handlers, no eval. */
(function () {
  "use strict";

  function pad(n) { return String(n).padStart(2, "0"); }

  function clock(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s % 60);
  }

  /* Handle-time timers: <span data-timer-seconds="120" data-timer-running="true"> */
  function tickTimers() {
    document.querySelectorAll("[data-timer-seconds]").forEach(function (el) {
      if (!el.dataset.timerStart) { el.dataset.timerStart = String(Date.now()); }
      var base = Number(el.dataset.timerSeconds) || 0;
      var running = el.dataset.timerRunning === "true";
      var extra = running ? (Date.now() - Number(el.dataset.timerStart)) / 1000 : 0;
      el.textContent = clock(base + extra);
    });
  }

  /* Idle warning: the server signs a session out after data-idle-seconds without a
     request the user made; warn data-idle-warn-seconds before that. */
  var lastActivity = Date.now();
  function idleCheck() {
    var body = document.body;
    var limit = Number(body.dataset.idleSeconds);
    var warn = Number(body.dataset.idleWarnSeconds);
    var dialog = document.getElementById("idle-warning");
    if (!limit || !dialog) { return; }
    var idle = (Date.now() - lastActivity) / 1000;
    var left = limit - idle;
    if (left <= 0) {
      window.location.assign("/login/?next=" + encodeURIComponent(window.location.pathname));
      return;
    }
    if (left <= warn) {
      document.getElementById("idle-remaining").textContent = clock(left);
      if (!dialog.open) { dialog.showModal(); }
    }
  }

  function keepAlive(event) {
    event.preventDefault();
    var form = event.target;
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) {
        if (response.ok) {
          lastActivity = Date.now();
          document.getElementById("idle-warning").close();
        } else {
          window.location.assign("/login/");
        }
      });
  }

  /* Revealed personal data disappears when its grant ends: <dl data-hide-at="ISO time"> */
  function hideExpired() {
    document.querySelectorAll("[data-hide-at]").forEach(function (el) {
      if (Date.parse(el.dataset.hideAt) <= Date.now()) {
        el.replaceWith(Object.assign(document.createElement("p"), {
          className: "help", textContent: "Hidden again: the time to view it has ended."
        }));
      }
    });
  }

  /* Select-all checkbox for bulk actions: <input type=checkbox data-select-all="name"> */
  function selectAll(event) {
    var name = event.target.dataset.selectAll;
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
      box.checked = event.target.checked;
    });
  }

  /* Rule editor: show the boxes a line's kind uses (all are shown without script).
     <select data-rule-kind> inside a fieldset; <label data-kinds="fixed tax"> */
  function showKindFields(select) {
    var box = select.closest("fieldset");
    box.querySelectorAll("[data-kinds]").forEach(function (label) {
      label.hidden = label.dataset.kinds.split(" ").indexOf(select.value) < 0;
    });
  }

  /* Phones: the main navigation folds behind its Menu button (CSS shows the button only
     on narrow screens; without script the navigation stays open). */
  function foldMenu() {
    var button = document.getElementById("menu-toggle");
    if (!button) { return; }
    var nav = button.closest("nav");
    function set(open) {
      nav.classList.toggle("folded", !open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    set(false);
    button.addEventListener("click", function () { set(nav.classList.contains("folded")); });
  }

  /* A destructive choice asks first: <form data-confirm-value="ended"
     data-confirm-text="..."> with a hidden "confirmed" input the server checks. */
  function confirmDestructive(event) {
    var form = event.target;
    var chosen = form.querySelector("select[name=status]");
    var confirmed = form.querySelector("input[name=confirmed]");
    if (!chosen || chosen.value !== form.dataset.confirmValue) { return; }
    if (window.confirm(form.dataset.confirmText)) {
      confirmed.value = "yes";
    } else {
      event.preventDefault();
    }
  }

  /* Presence that ends when the page goes: <div data-leave-url="/.../leave/"> is told by
     a beacon (with the page's CSRF token) on pagehide, so what others see clears now. */
  function sendLeaveBeacons() {
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    document.querySelectorAll("[data-leave-url]").forEach(function (el) {
      var body = new FormData();
      if (token) { body.append("csrfmiddlewaretoken", token.value); }
      navigator.sendBeacon(el.dataset.leaveUrl, body);
    });
  }

  /* A client's brand colour on a part of the page: <p data-brand-colour="#rrggbb">. The
     text turns dark or light, whichever reads better on it (WCAG relative luminance). */
  function brandColours() {
    document.querySelectorAll("[data-brand-colour]").forEach(function (el) {
      var colour = el.dataset.brandColour;
      if (!/^#[0-9a-fA-F]{6}$/.test(colour)) { return; }
      var linear = [1, 3, 5].map(function (at) {
        var v = parseInt(colour.slice(at, at + 2), 16) / 255;
        return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
      });
      var luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
      el.style.backgroundColor = colour;
      el.style.color = luminance > 0.179 ? "#1b1f24" : "#ffffff";
    });
  }

  window.addEventListener("pagehide", sendLeaveBeacons);

  document.addEventListener("DOMContentLoaded", function () {
    foldMenu();
    brandColours();
    document.querySelectorAll("form[data-confirm-value]").forEach(function (form) {
      form.addEventListener("submit", confirmDestructive);
    });
    document.querySelectorAll("[data-rule-kind]").forEach(function (select) {
      showKindFields(select);
      select.addEventListener("change", function () { showKindFields(select); });
    });
    tickTimers();
    setInterval(tickTimers, 1000);
    setInterval(idleCheck, 5000);
    setInterval(hideExpired, 1000);
    var form = document.getElementById("idle-keepalive");
    if (form) { form.addEventListener("submit", keepAlive); }
    document.querySelectorAll("[data-select-all]").forEach(function (box) {
      box.addEventListener("change", selectAll);
    });
  });
  /* A request the user made (not a background refresh) counts as activity. */
  document.addEventListener("htmx:afterRequest", function (event) {
    var trigger = event.detail && event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    if (!trigger || trigger.type !== "every") {
      var poll = event.detail.elt && event.detail.elt.hasAttribute("data-poll");
      if (!poll) { lastActivity = Date.now(); }
    }
  });
  document.addEventListener("htmx:load", tickTimers);
  document.addEventListener("htmx:load", brandColours);
  /* A part of the page loaded on its own that is refused or fails says so, rather than
     staying on "Loading…" (htmx leaves a failed answer out). */
  document.addEventListener("htmx:responseError", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || target.id !== "service-panel") { return; }
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var why = status === 403 ? "Your role may not open this part of the item."
      : status === 404 ? "This part of the item is not there any more; reload the page."
      : "This part of the item could not be loaded; reload the page to try again.";
    var card = document.createElement("section");
    card.className = "card";
    var text = document.createElement("p");
    text.className = "muted";
    text.textContent = why;
    card.appendChild(text);
    target.replaceChildren(card);
  });
})();
