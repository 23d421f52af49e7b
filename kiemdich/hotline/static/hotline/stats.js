// The hotline statistics' charts (Chart.js, vendored): tickets per day, by channel, by category.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const data = JSON.parse(document.getElementById("hotline-charts").textContent);
  if (typeof Chart === "undefined") return;
  const bar = (id, labels, values, horizontal) => {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    new Chart(canvas, {
      type: "bar",
      data: { labels, datasets: [{ data: values, backgroundColor: "#0b5cad" }] },
      options: {
        indexAxis: horizontal ? "y" : "x",
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { [horizontal ? "x" : "y"]: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  };
  bar("chart-days", data.days, data.per_day, false);
  bar("chart-channels", data.channels, data.per_channel, true);
  bar("chart-categories", data.categories, data.per_category, true);
});
