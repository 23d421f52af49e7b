// The people under monitoring by regime as bars, from the figures embedded in the page (the
// table above says the same for browsers without scripts).
(function () {
  "use strict";
  var source = document.getElementById("regime-data");
  var canvas = document.getElementById("regime-chart");
  if (!source || !canvas || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  Chart.defaults.font.family = "system-ui, sans-serif";
  Chart.defaults.maintainAspectRatio = false;
  new Chart(canvas, {
    type: "bar",
    data: { labels: data.labels, datasets: [{ data: data.values, backgroundColor: "#1f6fb2" }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
  });
})();
