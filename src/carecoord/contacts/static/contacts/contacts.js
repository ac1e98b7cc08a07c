/* Contacts: show the running timer's elapsed time (its start is kept on the server), and `c` focuses quick
   entry on the chart. No inline scripts (CSP). */
(function () {
  "use strict";
  if (window.carecoordContacts) return;
  window.carecoordContacts = true;

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function tick() {
    var badges = document.querySelectorAll("[data-timer-start]");
    for (var i = 0; i < badges.length; i++) {
      var start = Number(badges[i].getAttribute("data-timer-start")) * 1000;
      var out = badges[i].querySelector("[data-timer-elapsed]");
      if (!out || !start) continue;
      var seconds = Math.max(0, Math.floor((Date.now() - start) / 1000));
      var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
      out.textContent = (h ? h + ":" + pad(m) : m) + ":" + pad(s);
    }
  }

  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "c" || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var first = document.querySelector("#quick-contact select, #quick-contact input:not([type=hidden])");
    if (first) { event.preventDefault(); first.focus(); }
  });

  tick();
  window.setInterval(tick, 1000);
})();
