// The problem page's "关联前一轮次中的同一问题" form: narrow a few hundred options by round and
// by typed text, without a library. The select works unfiltered when scripts are off.
(function () {
  "use strict";
  var form = document.getElementById("problem-link-form");
  if (!form) return;
  var round = document.getElementById("pl-round");
  var search = document.getElementById("pl-search");
  var select = document.getElementById("pl-earlier");
  var count = document.getElementById("pl-count");
  var options = Array.prototype.slice.call(select.querySelectorAll("option"));
  var groups = Array.prototype.slice.call(select.querySelectorAll("optgroup"));

  function apply() {
    var r = round.value;
    var words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    options.forEach(function (o) {
      var text = o.textContent.toLowerCase();
      var ok = (!r || o.dataset.round === r) && words.every(function (w) { return text.indexOf(w) >= 0; });
      o.hidden = !ok;
      o.disabled = !ok;
      if (ok) shown += 1;
      if (!ok && o.selected) o.selected = false;
    });
    groups.forEach(function (g) {
      g.hidden = !Array.prototype.some.call(g.children, function (o) { return !o.hidden; });
    });
    count.textContent = "可选 " + shown + " / " + options.length + " 个问题";
  }
  round.addEventListener("change", apply);
  search.addEventListener("input", apply);
  apply();
})();
