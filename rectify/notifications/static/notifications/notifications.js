// 我的通知: a clamped body gets a 展开 / 收起 button, shown only when the text is cut off.
(function () {
  "use strict";
  function setup() {
    document.querySelectorAll("[data-clamp]").forEach(function (body) {
      var button = body.nextElementSibling;
      if (!button || !button.hasAttribute("data-clamp-toggle")) return;
      if (body.scrollHeight <= body.clientHeight + 2) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        var open = body.classList.toggle("note-open");
        button.textContent = open ? "收起" : "展开";
        button.setAttribute("aria-expanded", open ? "true" : "false");
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
