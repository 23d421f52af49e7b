// A campaign's page: ask the API for its counters until nothing more will change, and move the
// progress bars. No framework; without JS the page shows the counters of when it was loaded.
(function () {
  "use strict";
  var box = document.querySelector(".campaign-progress");
  if (!box || box.dataset.finished === "1") return;
  var delay = 1000, waited = 0, LIMIT = 30 * 60 * 1000;

  function show(p) {
    box.querySelectorAll("[data-field]").forEach(function (el) {
      var value = p[el.dataset.field];
      if (value !== undefined) el.textContent = value;
    });
    var status = box.querySelector(".status");
    if (status) status.className = "status campaign-" + p.status;
    box.querySelectorAll("progress[data-value]").forEach(function (bar) {
      bar.max = Math.max(p.total, 1);
      bar.value = p[bar.dataset.value];
      bar.textContent = p[bar.dataset.value] + " / " + p.total;
    });
    box.dataset.finished = p.finished ? "1" : "0";
  }

  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (p) show(p);
        if (p && p.finished) return;
        // Slow down on a long campaign; stop after half an hour (reload to look again).
        waited += delay;
        delay = Math.min(delay * 1.5, 10000);
        if (waited < LIMIT) setTimeout(poll, delay);
      })
      .catch(function () { setTimeout(poll, 10000); });
  }
  setTimeout(poll, delay);
})();
