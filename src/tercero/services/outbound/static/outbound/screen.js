// The agent's call screen: disposition hotkeys, the wrap-up timer, and branching
// questions (choosing an answer reloads the screen with the answers so far).
(function () {
  "use strict";
  function ready() {
    var form = document.getElementById("call-form");
    if (!form) { return; }
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      if (target && (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA")) { return; }
      if (event.ctrlKey || event.metaKey || event.altKey) { return; }
      var radios = form.querySelectorAll("input[data-hotkey]");
      for (var i = 0; i < radios.length; i++) {
        if (radios[i].dataset.hotkey && radios[i].dataset.hotkey.toLowerCase() === event.key.toLowerCase()) {
          radios[i].checked = true;
          radios[i].focus();
          event.preventDefault();
        }
      }
    });
    var wrap = document.getElementById("wrap_seconds");
    var since = wrap && wrap.dataset.wrapSince ? Number(wrap.dataset.wrapSince) * 1000 : Date.now();
    if (wrap) {
      setInterval(function () { wrap.value = String(Math.max(0, Math.round((Date.now() - since) / 1000))); }, 1000);
    }
    var branches = form.querySelectorAll("select[data-branch]");
    for (var j = 0; j < branches.length; j++) {
      branches[j].addEventListener("change", function () {
        var params = new URLSearchParams();
        var fields = form.querySelectorAll("[name^='answer_']");
        for (var k = 0; k < fields.length; k++) {
          if (fields[k].value) { params.set(fields[k].name, fields[k].value); }
        }
        window.location.search = params.toString();
      });
    }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); } else { ready(); }
})();
