/* Team tasks: tick tasks by keyboard. Space on a focused box ticks it (the browser's own); Ctrl/Cmd+A while the
   focus is in the list ticks every task; Space on a row reached with j/k ticks it (or clears them when all are ticked); the header box does the same. */
(function () {
  "use strict";
  var form = document.querySelector("[data-select-tasks]");
  if (!form) return;
  var boxes = Array.prototype.slice.call(form.querySelectorAll("[data-pick]"));
  var all = form.querySelector("[data-pick-all]");
  var count = form.querySelector("[data-selected-count]");

  function refresh() {
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    boxes.forEach(function (box) { box.closest("tr").classList.toggle("is-selected", box.checked); });
    if (count) count.textContent = String(ticked);
    if (all) { all.checked = ticked === boxes.length; all.indeterminate = ticked > 0 && ticked < boxes.length; }
  }

  function tickAll(on) { boxes.forEach(function (box) { box.checked = on; }); refresh(); }

  form.addEventListener("change", function (event) {
    if (event.target === all) tickAll(all.checked); else refresh();
  });
  form.addEventListener("keydown", function (event) {
    var inList = event.target.closest && event.target.closest("table");
    if (inList && (event.ctrlKey || event.metaKey) && (event.key === "a" || event.key === "A")) {
      event.preventDefault();
      tickAll(!boxes.every(function (box) { return box.checked; }));
      return;
    }
    // Space on a row reached with j/k (its link has the focus) ticks that row's box.
    var row = event.target.closest && event.target.closest("tr[data-item]");
    if (row && event.key === " " && !event.target.matches("input, select, button")) {
      var box = row.querySelector("[data-pick]");
      if (box) { event.preventDefault(); box.checked = !box.checked; refresh(); }
    }
  });
  refresh();
}());
