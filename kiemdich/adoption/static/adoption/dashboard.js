// The dashboard's two charts, drawn from the same JSON the API returns (embedded in the page):
// each area's install rate as bars against the target line, and one area's rate over 30 days.
(function () {
  "use strict";
  var source = document.getElementById("adoption-data");
  if (!source || typeof Chart === "undefined") return; // the table above says it all
  var data = JSON.parse(source.textContent);
  var labels = JSON.parse(document.getElementById("adoption-labels").textContent);
  var target = data.target ? data.target.threshold : null;
  var BAR = "#1f6fb2", BELOW = "#c0392b", TARGET = "#e67e22";
  Chart.defaults.font.family = "system-ui, sans-serif";
  Chart.defaults.maintainAspectRatio = false;

  function line(value, length) {
    return {
      type: "line", label: labels.target, data: Array(length).fill(value),
      borderColor: TARGET, borderDash: [6, 4], pointRadius: 0, borderWidth: 2,
    };
  }

  var bars = document.getElementById("rates-chart");
  if (bars && data.rows.length) {
    var rates = data.rows.map(function (r) { return r.rate; });
    var sets = [{
      type: "bar", label: labels.rate, data: rates,
      backgroundColor: rates.map(function (r) { return target !== null && r !== null && r < target ? BELOW : BAR; }),
    }];
    if (target !== null) sets.push(line(target, rates.length));
    new Chart(bars, {
      data: { labels: data.rows.map(function (r) { return r.name; }), datasets: sets },
      options: { scales: { y: { beginAtZero: true, suggestedMax: Math.max(target || 0, 10) } } },
    });
  }

  var trend = document.getElementById("trend-chart");
  var pick = document.getElementById("trend-unit");
  if (!trend) return;
  var days = data.dates.map(function (d) { return d.slice(8, 10) + "/" + d.slice(5, 7); });
  function series(code) {
    var row = data.total;
    data.rows.forEach(function (r) { if (r.code === code) row = r; });
    var phones = row.smartphone_users;
    return row.history.map(function (n) { return phones ? Math.round(n * 10000 / phones) / 100 : null; });
  }
  var sets = [{ type: "line", label: labels.rate, data: series(""), borderColor: BAR, tension: 0.2 }];
  if (target !== null) sets.push(line(target, days.length));
  var chart = new Chart(trend, {
    data: { labels: days, datasets: sets },
    options: { scales: { y: { beginAtZero: true, suggestedMax: Math.max(target || 0, 10) } } },
  });
  if (pick) pick.addEventListener("change", function () {
    chart.data.datasets[0].data = series(pick.value);
    chart.update();
  });
})();
