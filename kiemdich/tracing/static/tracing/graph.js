// The F0 -> F1 -> F2 graph of a case page: d3-force lays it out (vendor/d3-force), this draws
// it as plain SVG. The layout runs to the end before drawing, so a cheap phone does the work
// once instead of animating it.
(function () {
  "use strict";
  var box = document.getElementById("graph");
  var source = document.getElementById("graph-data");
  if (!box || !source || !window.d3 || !d3.forceSimulation) return;
  var data = JSON.parse(source.textContent);
  var NS = "http://www.w3.org/2000/svg";
  var COLOURS = ["#c62828", "#ef8c00", "#0b5cad"];
  var nodes = data.nodes, links = data.links;
  var simulation = d3.forceSimulation(nodes)
    .force("link", d3.forceLink(links).id(function (d) { return d.id; }).distance(38))
    .force("charge", d3.forceManyBody().strength(-70))
    .force("x", d3.forceX(0).strength(0.06))
    .force("y", d3.forceY(0).strength(0.06))
    .stop();
  var ticks = Math.ceil(Math.log(simulation.alphaMin()) / Math.log(1 - simulation.alphaDecay()));
  simulation.tick(ticks);

  var pad = 18, x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  nodes.forEach(function (n) {
    x0 = Math.min(x0, n.x); y0 = Math.min(y0, n.y); x1 = Math.max(x1, n.x); y1 = Math.max(y1, n.y);
  });
  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    parent.appendChild(e);
    return e;
  }
  // At least 200 x 130 units, so that a small graph is not blown up to the screen's width.
  var w = Math.max(x1 - x0 + 2 * pad, 200), h = Math.max(y1 - y0 + 2 * pad, 130);
  var svg = el("svg", {
    viewBox: [(x0 + x1 - w) / 2, (y0 + y1 - h) / 2, w, h].join(" "),
    "font-family": "system-ui, sans-serif", "font-size": 9
  }, box);
  var edges = el("g", { stroke: "#9aa5b1", "stroke-width": 1 }, svg);
  links.forEach(function (l) {
    el("line", { x1: l.source.x, y1: l.source.y, x2: l.target.x, y2: l.target.y }, edges);
  });
  var dots = el("g", { "text-anchor": "middle" }, svg);
  nodes.forEach(function (n) {
    var g = el("g", { "class": "node f" + n.f, transform: "translate(" + n.x + "," + n.y + ")" }, dots);
    el("circle", { r: n.f === 0 ? 11 : 8, fill: n.out ? "#aab3bd" : COLOURS[n.f] || COLOURS[2] }, g);
    el("title", {}, g).textContent = "F" + n.f + " " + n.label;
    el("text", { dy: "0.35em", fill: "#fff", "font-size": n.label.length > 2 ? 6 : 8 }, g)
      .textContent = n.label;
  });
})();
