// Prefill the infectious window with its default (2 days before onset or the positive test,
// until 1 day after the test) while the tracer has not typed one; the server applies the same.
(function () {
  "use strict";
  var form = document.querySelector("form");
  var confirmed = document.getElementById("id_confirmed_at");
  var onset = document.getElementById("id_onset_at");
  var from = document.getElementById("id_infectious_from");
  var to = document.getElementById("id_infectious_to");
  if (!form || !confirmed || !from || !to) return;
  var DAY = 864e5;
  function parse(input) { // "2021-08-24T09:30" as a wall-clock time, no time zone involved
    var m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(input.value);
    return m ? Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5]) : null;
  }
  function format(ms) { return new Date(ms).toISOString().slice(0, 16); }
  function fill(input, ms) {
    if (input.value && input.dataset.auto !== input.value) return; // typed by hand: keep it
    input.value = ms === null ? "" : format(ms);
    input.dataset.auto = input.value;
  }
  function update() {
    var c = parse(confirmed), o = onset ? parse(onset) : null;
    fill(from, c === null ? null : (o === null ? c : o) - 2 * DAY);
    fill(to, c === null ? null : c + DAY);
  }
  ["input", "change"].forEach(function (kind) {
    confirmed.addEventListener(kind, update);
    if (onset) onset.addEventListener(kind, update);
  });
  // The script is deferred: a fast hand (or the browser restoring the form) may have filled the
  // dates before it ran.
  update();
})();
