// The weekly form (progress/unit_period.html): shows the per-card buttons (the page works without
// them), opens and closes the problem groups, marks cards with unsaved typing and asks before
// leaving the page with any, and opens the group of a card named in the address (#row-12).
(function () {
  "use strict";
  document.documentElement.classList.add("weekly-js");
  var form = document.getElementById("report-form");
  var leaving = false;

  function groups() {
    return Array.prototype.slice.call(document.querySelectorAll("details.weekly-problem"));
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-weekly-toggle]");
    if (!button) return;
    var open = button.getAttribute("data-weekly-toggle") === "open";
    groups().forEach(function (d) { d.open = open; });
  });

  function openAround(element) {
    var details = element && element.closest ? element.closest("details.weekly-problem") : null;
    if (details) details.open = true;
  }
  if (location.hash && location.hash.indexOf("#row-") === 0) {
    var target = document.getElementById(location.hash.slice(1));
    openAround(target);
    if (target) target.scrollIntoView();
  }
  // A field the browser finds invalid inside a closed group: open it so the message can show.
  document.addEventListener("invalid", function (event) { openAround(event.target); }, true);

  document.addEventListener("input", function (event) {
    var card = event.target.closest && event.target.closest(".report-row");
    if (card && event.target.type !== "file") card.classList.add("is-dirty");
  });
  if (form) {
    form.addEventListener("submit", function () { leaving = true; });
  }
  window.addEventListener("beforeunload", function (event) {
    if (leaving || !document.querySelector(".report-row.is-dirty")) return;
    event.preventDefault();
    event.returnValue = "";
  });
  // A request that failed on the way (network, server error): say so in the card, keep the text.
  function failed(event) {
    var card = event.detail && event.detail.elt && event.detail.elt.closest(".report-row");
    if (!card) return;
    var note = card.querySelector("[data-testid=card-failed]");
    if (!note) {
      note = document.createElement("div");
      note.className = "alert alert-danger py-1 small mt-2 mb-0";
      note.setAttribute("role", "alert");
      note.setAttribute("data-testid", "card-failed");
      card.querySelector(".card-body").appendChild(note);
    }
    note.textContent = "未能保存（网络或服务器问题），填写的内容仍在这里，请稍后再试或使用页面底部的“保存草稿”。";
  }
  document.body.addEventListener("htmx:responseError", failed);
  document.body.addEventListener("htmx:sendError", failed);
})();
