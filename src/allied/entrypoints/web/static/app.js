// Small enhancement only: every page works without it.
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
