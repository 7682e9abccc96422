// A background document (documents/_job.html): once its status turns 已完成, the download the
// user asked for starts by itself (the link stays on the page). Once per page.
(function () {
  "use strict";
  function start() {
    var status = document.querySelector('#job-status[data-state="done"]');
    if (!status || document.body.dataset.jobStarted) return;
    var link = status.querySelector('[data-testid="job-download"]');
    if (!link) return;
    document.body.dataset.jobStarted = "1";
    window.location.assign(link.href);
  }
  document.addEventListener("htmx:afterSettle", start);
  document.addEventListener("DOMContentLoaded", start);
})();
