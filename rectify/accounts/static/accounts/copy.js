// The copy buttons of one-time secrets (a new API token, a temporary password): a button with
// data-copy-target="<id>" copies that element's text and says so. No inline handlers (CSP).
(function () {
  "use strict";
  function done(button, text) {
    var label = button.dataset.label || button.innerHTML;
    button.dataset.label = label;
    button.textContent = text;
    window.setTimeout(function () { button.innerHTML = label; }, 2000);
  }
  function fallback(source) {
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy-target]");
    if (!button) { return; }
    var source = document.getElementById(button.dataset.copyTarget);
    if (!source) { return; }
    var text = source.textContent.trim();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { done(button, "已复制"); },
        function () { done(button, fallback(source) ? "已复制" : "请手动选择复制"); }
      );
    } else {
      done(button, fallback(source) ? "已复制" : "请手动选择复制");
    }
  });
})();
