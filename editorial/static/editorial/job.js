// The job page follows its job: every 1.5 s it asks the status URL (data-status-url) and
// writes each value into the element naming it (data-job-field). When a file finishes or
// the job ends, the page is loaded again, so the per-file results come from the server.
(function () {
  "use strict";
  var root = document.querySelector("[data-job-status-url]");
  if (!root || root.dataset.jobFinished === "true") {
    return;
  }
  var url = root.dataset.jobStatusUrl;
  var filesDone = root.dataset.jobFilesDone;
  var state = root.dataset.jobState;
  function show(status) {
    root.querySelectorAll("[data-job-field]").forEach(function (element) {
      var value = status[element.dataset.jobField];
      if (value === null || value === undefined) {
        element.textContent = "";
      } else if ("jobNumber" in element.dataset && typeof value === "number") {
        element.textContent = value.toLocaleString("en-US"); // 119,114, as the server writes it
      } else {
        element.textContent = String(value);
      }
    });
    var bar = root.querySelector("progress[data-job-bar]");
    if (bar && status.files_total) {
      bar.max = status.files_total;
      bar.value = status.files_done;
    }
  }
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (status) {
        if (status === null) {
          window.setTimeout(poll, 5000);
          return;
        }
        show(status);
        if (status.finished || String(status.files_done) !== filesDone || status.state !== state) {
          window.location.reload();
          return;
        }
        window.setTimeout(poll, 1500);
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }
  window.setTimeout(poll, 1500);
})();
