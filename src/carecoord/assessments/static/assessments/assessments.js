/* The questionnaire form: enableWhen applied live, one key per answer, "Add another", and the live total.
   Mirrors the engine (assessments/engine/enablement.py); the server checks everything again on save.
   No inline scripts (CSP): loaded with defer from the page's head block. */
(function () {
  "use strict";

  var form = document.querySelector("form[data-questionnaire]");
  if (!form) return;
  var box = document.querySelector("[data-live-total]");
  var specs = new Map();

  function toArray(list) { return Array.prototype.slice.call(list); }
  function items() { return toArray(form.querySelectorAll(".q-item")); }
  function isOff(el) { return !!el.closest(".q-item[hidden]"); }
  function ownerOf(el) { return el.closest(".q-item"); }
  function scopeOf(el) {
    var parent = el.parentElement && el.parentElement.closest("[data-instance]");
    return parent && form.contains(parent) ? parent : form;
  }
  function withLinkId(root, linkId) {
    return toArray(root.querySelectorAll(".q-item[data-link-id]")).filter(function (w) {
      return w.getAttribute("data-link-id") === linkId;
    });
  }

  /* The answers an item holds, as the strings enableWhen compares ("system|code", "true", "12", text). */
  function valuesOf(wrapper) {
    var out = [];
    toArray(wrapper.querySelectorAll("input, textarea")).forEach(function (input) {
      if (ownerOf(input) !== wrapper || input.type === "hidden" || input.hasAttribute("data-other-text")) return;
      if (input.type === "radio" || input.type === "checkbox") {
        if (!input.checked) return;
        if (input.hasAttribute("data-other")) {
          var text = wrapper.querySelector("[data-other-text]");
          if (text && text.value.trim()) out.push(text.value.trim());
          return;
        }
        out.push(input.getAttribute("data-compare"));
      } else if (input.value.trim()) {
        out.push(input.value.trim());
      }
    });
    return out;
  }

  /* A condition reads the question in the same group instance, else in the nearest enclosing scope. */
  function answersFor(linkId, el) {
    var scope = scopeOf(el);
    for (;;) {
      var found = withLinkId(scope, linkId);
      if (found.length || scope === form) {
        return found.reduce(function (all, w) { return isOff(w) ? all : all.concat(valuesOf(w)); }, []);
      }
      scope = scopeOf(scope);
    }
  }

  function compare(a, b, kind) {
    if (kind === "number") {
      var x = parseFloat(a), y = parseFloat(b);
      if (isNaN(x) || isNaN(y)) return null;
      return x === y ? 0 : (x > y ? 1 : -1);
    }
    if (kind === "coding" || kind === "boolean") return a === b ? 0 : 1;
    if (kind === "date" && a.length !== b.length) {
      var n = Math.min(a.length, b.length), pa = a.slice(0, n), pb = b.slice(0, n);
      if (pa === pb) return null; /* different precision, same common part: undecided */
      return pa > pb ? 1 : -1;
    }
    return a === b ? 0 : (a > b ? 1 : -1);
  }

  function holds(rule, values) {
    if (rule.op === "exists") return (values.length > 0) === (rule.value === "true");
    var results = values.map(function (v) { return compare(v, rule.value, rule.kind); });
    function any(test) { return results.some(function (r) { return r !== null && test(r); }); }
    switch (rule.op) {
      case "=": return any(function (r) { return r === 0; });
      case "!=": return any(function (r) { return r !== 0; });
      case ">": return any(function (r) { return r > 0; });
      case "<": return any(function (r) { return r < 0; });
      case ">=": return any(function (r) { return r >= 0; });
      case "<=": return any(function (r) { return r <= 0; });
      default: return false;
    }
  }

  function spec(w) {
    if (!specs.has(w)) specs.set(w, JSON.parse(w.getAttribute("data-enable-when")));
    return specs.get(w);
  }

  /* Show the items whose conditions hold; repeat until nothing changes (hiding one can change another). */
  function settle() {
    var conditional = items().filter(function (w) { return w.hasAttribute("data-enable-when"); });
    for (var round = 0; round < conditional.length + 2; round++) {
      var changed = false;
      conditional.forEach(function (w) {
        var s = spec(w);
        var results = s.rules.map(function (rule) { return holds(rule, answersFor(rule.q, w)); });
        var on = s.behavior === "any" ? results.some(Boolean) : results.every(Boolean);
        if (w.hidden === on) { w.hidden = !on; changed = true; }
      });
      if (!changed) break;
    }
    toArray(form.querySelectorAll("input, textarea, select")).forEach(function (input) {
      if (ownerOf(input) || input.closest("[data-instance]")) input.disabled = isOff(input);
    });
    updateTotal();
  }

  /* --- keyboard: one key per answer, Enter to move on ------------------------------------------------------ */

  function questions() {
    return items().filter(function (w) { return w.hasAttribute("data-question") && !isOff(w); });
  }

  function firstInput(w) {
    var inputs = toArray(w.querySelectorAll("input, textarea, select")).filter(function (i) {
      return ownerOf(i) === w && i.type !== "hidden" && !i.disabled;
    });
    var checked = inputs.filter(function (i) { return i.type === "radio" && i.checked; })[0];
    return checked || inputs[0];
  }

  function next(w) {
    var list = questions();
    for (var j = list.indexOf(w) + 1; j < list.length; j++) {
      var target = firstInput(list[j]);
      if (target) { target.focus(); target.scrollIntoView({ block: "center" }); return; }
    }
    var finish = form.querySelector("[data-finish]");
    if (finish) { finish.focus(); finish.scrollIntoView({ block: "center" }); }
  }

  var BOOLEAN_KEYS = { y: "1", n: "2" };

  form.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var t = event.target;
    var w = t.closest && t.closest(".q-item[data-question]");
    if (!w) return;
    if (t.type === "radio" || t.type === "checkbox") {
      var key = event.key.toLowerCase();
      if (w.getAttribute("data-type") === "boolean") key = BOOLEAN_KEYS[key] || key;
      var option = toArray(w.querySelectorAll("input[data-key]")).filter(function (o) {
        return ownerOf(o) === w && o.getAttribute("data-key") === key && !o.disabled;
      })[0];
      if (option) {
        event.preventDefault();
        if (option.type === "radio") {
          if (!option.checked) option.click();
          next(w);
        } else {
          option.click();
          option.focus();
        }
        return;
      }
    }
    if (event.key === "Enter" && t.tagName !== "TEXTAREA" && t.tagName !== "BUTTON" && t.type !== "submit") {
      event.preventDefault();
      next(w);
    }
  });

  /* --- typing an "other" answer chooses "Other"; any change re-applies the conditions -------------------- */

  form.addEventListener("input", function (event) {
    var t = event.target;
    if (t.hasAttribute && t.hasAttribute("data-other-text") && t.value.trim()) {
      var other = ownerOf(t).querySelector("[data-other]");
      if (other && !other.checked) other.checked = true;
    }
    settle();
  });
  form.addEventListener("change", settle);

  /* --- "Add another" instance of a repeating group, or another answer to a repeating question ------------ */

  form.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-add-instance], [data-add-value]") : null;
    if (!button) return;
    var focusable;
    if (button.hasAttribute("data-add-instance")) {
      var id = button.getAttribute("data-add-instance");
      var template = document.getElementById(id + "-template");
      var holder = document.getElementById(id + "-instances");
      if (!template || !holder) return;
      var index = parseInt(holder.getAttribute("data-next"), 10) || 0;
      holder.insertAdjacentHTML("beforeend", template.innerHTML.split(button.getAttribute("data-token")).join(String(index)));
      holder.setAttribute("data-next", String(index + 1));
      var added = holder.lastElementChild;
      var number = added.querySelector("[data-number]");
      if (number) number.textContent = String(holder.querySelectorAll(":scope > [data-instance]").length);
      settle();
      focusable = added.querySelector("input:not([type=hidden]):not([disabled]), textarea:not([disabled])");
    } else {
      var values = document.getElementById(button.getAttribute("data-add-value") + "-values");
      var last = values && values.querySelector("input:last-of-type");
      if (!last) return;
      var copy = last.cloneNode(false);
      copy.value = "";
      copy.removeAttribute("id");
      copy.setAttribute("aria-label", (last.getAttribute("aria-label") || "Answer").replace(/ \(another answer\)$/, "") + " (another answer)");
      values.appendChild(copy);
      focusable = copy;
    }
    if (focusable) focusable.focus();
  });

  /* --- the live total: from the answers' scores; never counts a missing answer as 0 ---------------------- */

  function updateTotal() {
    if (!box) return;
    var ids = JSON.parse(box.getAttribute("data-items"));
    var bands = JSON.parse(box.getAttribute("data-bands"));
    var name = box.getAttribute("data-name"), max = box.getAttribute("data-max");
    var total = 0, missing = 0, answered = 0;
    ids.forEach(function (linkId) {
      withLinkId(form, linkId).forEach(function (w) {
        if (isOff(w)) return;
        var checked = toArray(w.querySelectorAll("input:checked")).filter(function (i) { return ownerOf(i) === w; })[0];
        if (checked && checked.hasAttribute("data-ordinal")) {
          total += parseFloat(checked.getAttribute("data-ordinal"));
          answered += 1;
        } else {
          missing += 1;
        }
      });
    });
    var text = box.querySelector("[data-total-text]");
    var badge = box.querySelector("[data-total-band]");
    var note = box.querySelector("[data-total-note]");
    if (missing) {
      text.textContent = missing + (missing === 1 ? " item" : " items") + " not answered: " + name + " total not computed";
      note.textContent = answered + " of " + (answered + missing) + " answered. A missing answer never counts as 0.";
      box.classList.remove("is-complete");
      badge.hidden = true;
    } else {
      text.textContent = name + " total " + total + " of " + max;
      var band = bands.filter(function (b) { return total >= b[0] && total <= b[1]; })[0];
      badge.hidden = !band;
      if (band) {
        badge.textContent = band[2];
        badge.className = "badge" + (band[3] ? " " + band[3] : "");
      }
      note.textContent = "All " + answered + " answered. The score saved on completion is the one that counts.";
      box.classList.add("is-complete");
    }
    var safetyItem = box.getAttribute("data-safety-item");
    var alert = box.querySelector("[data-total-safety]");
    if (safetyItem && alert) {
      var raised = withLinkId(form, safetyItem).some(function (w) {
        var c = w.querySelector("input:checked[data-ordinal]");
        return !isOff(w) && c && parseFloat(c.getAttribute("data-ordinal")) > 0;
      });
      alert.hidden = !raised;
    }
  }

  settle();

  /* After a refused save, focus the first question with a problem (the summary above lists them all). */
  var firstError = form.querySelector(".q-item.has-error, .field.has-error");
  if (firstError) {
    var target = firstError.classList.contains("q-item") ? firstInput(firstError) : firstError.querySelector("textarea, input");
    if (target) target.focus();
  }
})();
