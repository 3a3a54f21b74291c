// Polls the state of the user's unfinished export jobs and updates their rows; stops when none is unfinished.
(function () {
  "use strict";
  var DELAY = 1500;

  function unfinished() {
    return Array.prototype.filter.call(document.querySelectorAll("tr[data-job]"), function (row) {
      var state = row.getAttribute("data-state");
      return state === "queued" || state === "running";
    });
  }

  function show(row, job) {
    row.setAttribute("data-state", job.state);
    row.querySelector(".job-state").textContent = job.state;
    var bar = row.querySelector(".job-progress");
    bar.max = job.total || 1;
    bar.value = job.state === "done" ? bar.max : job.done;
    if (job.download) {
      var cell = row.querySelector(".job-file");
      cell.textContent = "";
      var link = document.createElement("a");
      link.href = job.download;
      link.textContent = "Download";
      link.setAttribute("data-testid", "download-" + job.id);
      cell.appendChild(link);
    }
    if (job.error) {
      var note = document.createElement("div");
      note.className = "small text-danger";
      note.textContent = job.error;
      row.querySelector(".job-state").parentNode.appendChild(note);
    }
  }

  function poll() {
    var rows = unfinished();
    if (!rows.length) { return; }
    Promise.all(rows.map(function (row) {
      return fetch(row.getAttribute("data-status-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (job) { if (job) { show(row, job); } });
    })).finally(function () { window.setTimeout(poll, DELAY); });
  }

  document.addEventListener("DOMContentLoaded", function () { window.setTimeout(poll, DELAY); });
})();
