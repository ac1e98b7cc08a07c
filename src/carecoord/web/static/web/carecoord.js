/* CareCoord keyboard shortcuts and small progressive enhancements. No inline scripts (CSP). */
(function () {
  "use strict";

  var body = document.body;
  var pendingG = false;
  var pendingTimer = null;
  var current = -1;

  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function listItems() {
    var list = document.querySelector("[data-list]");
    if (!list) return [];
    return Array.prototype.slice.call(list.querySelectorAll("[data-item]"));
  }

  function move(delta) {
    var items = listItems();
    if (!items.length) return;
    if (current >= 0 && items[current]) items[current].classList.remove("is-current");
    current = Math.max(0, Math.min(items.length - 1, current + delta));
    var item = items[current];
    item.classList.add("is-current");
    var link = item.querySelector("a[href]");
    (link || item).focus();
    item.scrollIntoView({ block: "nearest" });
  }

  function openShortcuts() {
    var dialog = document.getElementById("shortcuts");
    if (dialog && typeof dialog.showModal === "function" && !dialog.open) dialog.showModal();
  }

  function go(url) { if (url) window.location.assign(url); }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (typing(target)) {
      if (event.key === "Escape") target.blur();
      if (event.key === "ArrowDown" && target.hasAttribute("data-search")) { event.preventDefault(); current = -1; move(1); }
      return;
    }
    if (pendingG) {
      pendingG = false;
      window.clearTimeout(pendingTimer);
      if (event.key === "p") { event.preventDefault(); go(body.dataset.searchUrl); }
      else if (event.key === "a" && body.dataset.auditUrl) { event.preventDefault(); go(body.dataset.auditUrl); }
      return;
    }
    switch (event.key) {
      case "/": {
        var search = document.querySelector("[data-search]");
        event.preventDefault();
        if (search) { search.focus(); search.select(); } else { go(body.dataset.searchUrl); }
        break;
      }
      case "g":
        pendingG = true;
        pendingTimer = window.setTimeout(function () { pendingG = false; }, 1200);
        break;
      case "?":
        event.preventDefault();
        openShortcuts();
        break;
      case "j": event.preventDefault(); move(1); break;
      case "k": event.preventDefault(); move(-1); break;
      case "Enter": {
        var items = listItems();
        if (current >= 0 && items[current]) {
          var link = items[current].querySelector("a[href]");
          if (link && document.activeElement !== link) { event.preventDefault(); go(link.href); }
        }
        break;
      }
      default: break;
    }
  });

  /* New results replace the list: start again from the top. */
  document.addEventListener("htmx:afterSwap", function () { current = -1; });

  /* "Add another" rows for repeating form sections, from a <template>. */
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-add-row]") : null;
    if (!button) return;
    var prefix = button.getAttribute("data-add-row");
    var template = document.getElementById(prefix + "-empty");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var container = document.getElementById(prefix + "-rows");
    if (!template || !total || !container) return;
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
    container.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var first = container.lastElementChild && container.lastElementChild.querySelector("input, select");
    if (first) first.focus();
  });

  /* Confirm before destructive actions. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var closer = event.target.closest ? event.target.closest("[data-close-dialog]") : null;
    if (closer) { var dialog = closer.closest("dialog"); if (dialog) dialog.close(); }
    var opener = event.target.closest ? event.target.closest("[data-open-shortcuts]") : null;
    if (opener) { event.preventDefault(); openShortcuts(); }
  });
})();
