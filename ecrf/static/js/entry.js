// Fast, keyboard-only entry of a CRF, and a warning before typed values are lost (no framework; CSP: a file).
// - The first field (the first one with a problem, after a refused save) has the focus when the page opens.
// - Enter in a field goes to the next data field instead of submitting half a form; Tab still reaches every
//   control (history links, queries) in document order. Enter in a text area is a new line, on a button a click.
// - Ctrl+Enter saves and opens the next form of the visit (the button also has the access key N); Ctrl+S saves.
// - Leaving with unsaved changes (a link, reload, closing the tab) asks first: changes are the editable values
//   against those the page opened with, so typing and undoing is no change. After a refused save the page holds
//   the typed values, which are not stored: it counts as changed from the start (data-unsaved).
(function () {
  "use strict";
  var form = document.querySelector("form[data-testid=crf]");
  if (!form || form.getAttribute("data-editable") !== "true") { return; }
  var MESSAGE = "This form has changes that are not saved. Leave the page and lose them?";

  function isField(el) {
    return el.name && !el.disabled && !el.readOnly && el.type !== "hidden" && el.type !== "submit" &&
      el.type !== "button" && el.name !== "csrf_token" && el.name !== "version";
  }
  function fields() { return Array.prototype.filter.call(form.elements, isField); }
  function enterFields() {  // one stop per radio group; the "not done" controls are reached with Tab
    var seen = {};
    return fields().filter(function (el) {
      if (el.getAttribute("data-enter-skip") === "true") { return false; }
      if (el.type === "radio") { if (seen[el.name]) { return false; } seen[el.name] = true; }
      return true;
    });
  }
  function state() {
    return fields().map(function (el) {
      return el.name + "=" + ((el.type === "radio" || el.type === "checkbox") ? el.checked : el.value);
    }).join("&");
  }

  var initial = state();
  var unsaved = form.getAttribute("data-unsaved") === "true";
  var leaving = false;
  function changed() { return !leaving && (unsaved || state() !== initial); }

  // focus: the first field with a problem, else the first field
  var invalid = form.querySelector(".is-invalid, .invalid-feedback");
  var row = invalid ? invalid.closest(".item-row") : null;
  var first = row ? row.querySelector("input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])") : null;
  first = first || enterFields()[0];
  if (first) { first.focus(); }

  function click(key) {
    var button = form.querySelector("[data-key=" + key + "]");
    if (button) { button.click(); }
  }
  form.addEventListener("keydown", function (e) {
    var el = e.target;
    if (e.key !== "Enter" || e.ctrlKey || e.metaKey || e.altKey || el.tagName === "TEXTAREA" ||
        el.tagName === "BUTTON" || el.tagName === "A" || el.type === "submit") { return; }
    e.preventDefault();  // no accidental save from mid-form
    var list = enterFields();
    var at = el.type === "radio" ? list.findIndex(function (f) { return f.name === el.name; }) : list.indexOf(el);
    if (at < 0) { at = list.findIndex(function (f) { return el.compareDocumentPosition(f) & Node.DOCUMENT_POSITION_FOLLOWING; }) - 1; }
    var next = list[at + 1];
    if (next) {
      if (next.type === "radio") { next = form.querySelector("input[name='" + next.name + "']:checked") || next; }
      next.focus();
    } else {
      (form.querySelector("[data-key=save-next]") || el).focus();
    }
  });
  document.addEventListener("keydown", function (e) {
    if (!(e.ctrlKey || e.metaKey)) { return; }
    if (e.key === "Enter") { e.preventDefault(); click("save-next"); }
    else if (e.key === "s" || e.key === "S") { e.preventDefault(); click("save"); }
  });

  form.addEventListener("submit", function () { leaving = true; });
  document.addEventListener("submit", function (e) {  // another form of the page (a query, SDV) leaves it too
    if (e.target !== form && changed() && !window.confirm(MESSAGE)) { e.preventDefault(); }
    else if (e.target !== form) { leaving = true; }
  }, true);
  document.addEventListener("click", function (e) {
    var link = e.target.closest ? e.target.closest("a[href]") : null;
    if (!link || e.defaultPrevented || link.target === "_blank") { return; }
    var href = link.getAttribute("href");
    if (!href || href.charAt(0) === "#") { return; }  // an anchor of this page (the problem summary)
    if (!changed()) { return; }
    if (window.confirm(MESSAGE)) { leaving = true; } else { e.preventDefault(); }
  });
  window.addEventListener("beforeunload", function (e) {
    if (changed()) { e.preventDefault(); e.returnValue = ""; }
  });
})();
