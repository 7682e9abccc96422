// A report's page: a file chosen for upload goes at once, with the edit form's typed text
// (the file input belongs to that form, so nothing typed is discarded by uploading).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-autoupload]") || !input.files.length) return;
    var button = document.getElementById(input.getAttribute("data-autoupload"));
    if (button && input.form && input.form.requestSubmit) input.form.requestSubmit(button);
  });
})();
