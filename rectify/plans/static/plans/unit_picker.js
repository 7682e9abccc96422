// The unit picker of the editing pages: a filter box over a multiple <select> of the whole unit
// directory (~600 units), and the chosen units listed below it so a filtered list never hides a choice.
(function () {
  "use strict";
  function setup(root) {
    var filter = root.querySelector("[data-unit-filter]");
    var select = root.querySelector("select");
    var chosen = root.querySelector("[data-unit-chosen]");
    if (!filter || !select || !chosen) return;
    function showChosen() {
      var names = Array.prototype.filter.call(select.options, function (o) { return o.selected; })
        .map(function (o) { return o.textContent; });
      chosen.textContent = names.length ? "已选 " + names.length + " 个：" + names.join("、") : "尚未选择";
    }
    function applyFilter() {
      var words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        var label = (group.label || "").toLowerCase();
        var shown = 0;
        Array.prototype.forEach.call(group.querySelectorAll("option"), function (o) {
          var text = (label + " " + o.textContent).toLowerCase();
          var hit = words.every(function (w) { return text.indexOf(w) !== -1; });
          o.hidden = !hit && !o.selected;
          if (!o.hidden) shown += 1;
        });
        group.hidden = shown === 0;
      });
    }
    // A click toggles one unit without dropping the others (no Ctrl needed to pick several).
    select.addEventListener("mousedown", function (event) {
      var option = event.target;
      if (option.tagName !== "OPTION" || option.disabled) return;
      event.preventDefault();
      option.selected = !option.selected;
      select.focus();
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
    filter.addEventListener("input", applyFilter);
    select.addEventListener("change", showChosen);
    showChosen();
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-unit-picker]"), setup);
  });
})();
