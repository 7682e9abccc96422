// 信息公开设置: select all / none, a chapter's box ticks its problems and shows a partial choice.
(function () {
  "use strict";
  var form = document.getElementById("publishing-form");
  if (!form) { return; }
  var boxes = function (chapter) {
    return Array.prototype.slice.call(form.querySelectorAll('input[name="problems"]' + (chapter ? '[data-chapter="' + chapter + '"]' : "")));
  };
  var sync = function () {
    form.querySelectorAll("[data-chapter-toggle]").forEach(function (t) {
      var list = boxes(t.dataset.chapterToggle), on = list.filter(function (b) { return b.checked; }).length;
      t.checked = on === list.length && on > 0; t.indeterminate = on > 0 && on < list.length;
    });
  };
  form.querySelectorAll("[data-select]").forEach(function (button) {
    button.addEventListener("click", function () {
      var all = button.dataset.select === "all";
      boxes().forEach(function (b) { b.checked = all; });
      if (all) { document.getElementById("plan-public").checked = true; }
      sync();
    });
  });
  form.querySelectorAll("[data-chapter-toggle]").forEach(function (t) {
    t.addEventListener("change", function () { boxes(t.dataset.chapterToggle).forEach(function (b) { b.checked = t.checked; }); sync(); });
  });
  form.addEventListener("change", function (e) { if (e.target.name === "problems") { sync(); } });
  sync();
})();
