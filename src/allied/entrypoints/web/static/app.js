// Small enhancements only: every page works without them.
// A form marked data-busy shows that it is working and cannot be sent twice.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.busy) return;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
  var button = form.querySelector("button[type=submit]");
  if (button) {
    button.setAttribute("aria-busy", "true");
    button.textContent = form.dataset.busy;
  }
});

// A table wider than its card scrolls sideways in its own box (_table.html box, which is
// in the tab order without script): keep that box reachable with the keyboard (Tab, then
// the arrow keys) while it scrolls, saying so above the table (scrollbars may be hidden,
// as on a phone), and take it out of the tab order while the table fits. A table without such a box scrolls itself on narrow screens (app.css): the same.
(function () {
  "use strict";
  function mark() {
    var boxes = document.querySelectorAll(".table-box[role=region]");
    for (var b = 0; b < boxes.length; b++) {
      var box = boxes[b];
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls) box.setAttribute("tabindex", "0");
      else box.removeAttribute("tabindex");
      box.classList.toggle("scrolls", scrolls);  // app.css: a line says so above it
    }
    var tables = document.querySelectorAll(":not(.table-box[role=region]) > table.data");
    for (var i = 0; i < tables.length; i++) {
      var table = tables[i];
      if (table.scrollWidth > table.clientWidth + 1) {
        if (!table.hasAttribute("tabindex")) {
          table.setAttribute("tabindex", "0");
          table.setAttribute("data-scrolls", "1");
        }
      } else if (table.getAttribute("data-scrolls")) {
        table.removeAttribute("tabindex");
        table.removeAttribute("data-scrolls");
      }
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mark);
  else mark();
  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) window.clearTimeout(pending);
    pending = window.setTimeout(mark, 150);
  });
})();
