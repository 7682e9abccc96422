// A long import: show progress and stop a second click from submitting twice.
(function () {
  "use strict";
  var form = document.getElementById("commit-form");
  if (!form) { return; }
  form.addEventListener("submit", function () {
    document.getElementById("commit-btn").disabled = true;
    document.getElementById("commit-progress").classList.remove("d-none");
  });
})();
