// Confirmations and auto-submitting filters without inline handlers, which the
// Content-Security-Policy refuses (docs/security.md): a form, or the button that submits it,
// with data-confirm="…" asks first; a <select data-autosubmit> submits its form when changed.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("select[data-autosubmit]") && field.form) {
      field.form.submit();
    }
  });
})();
