// The campaign form: count characters and SMS parts as the official types, put the standard
// text of the chosen reminder unless the official wrote their own, and show only the area or
// the organization select, whichever the campaign goes to.
(function () {
  "use strict";
  var form = document.querySelector("form.campaign-form");
  if (!form) return;
  var text = form.querySelector("textarea[name=text]");
  var count = document.getElementById("text-count");
  var defaults = JSON.parse(text.dataset.defaults || "{}");
  // The GSM 03.38 alphabet (same as segments.GSM_BASIC / GSM_EXTENDED on the server).
  var GSM = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡" +
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXT = "^{}\\[~]|€\f";

  function parts(s) {
    var gsm = true, length = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charAt(i);
      if (GSM.indexOf(c) >= 0) length += 1;
      else if (EXT.indexOf(c) >= 0) length += 2;
      else { gsm = false; break; }
    }
    if (!gsm) length = s.length; // UTF-16 code units, as carriers count UCS-2
    var single = gsm ? 160 : 70, part = gsm ? 153 : 67;
    return length <= single ? 1 : Math.ceil(length / part);
  }

  function update() {
    var n = text.value.length, max = +count.dataset.max;
    count.textContent = count.dataset.template
      .replace("CHARS", n + "/" + max)
      .replace("PARTS", n ? parts(text.value) : 0);
    count.classList.toggle("over", n > max);
  }
  text.addEventListener("input", update);

  form.querySelectorAll("input[name=kind]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      var unedited = !text.value.trim() || Object.keys(defaults).some(function (k) {
        return defaults[k] === text.value;
      });
      if (radio.checked && unedited && defaults[radio.value]) {
        text.value = defaults[radio.value];
        update();
      }
    });
  });

  var audience = form.querySelectorAll("input[name=audience]");
  function showAudience() {
    var chosen = form.querySelector("input[name=audience]:checked");
    if (!chosen) return;
    ["unit", "organization"].forEach(function (name) {
      var box = document.getElementById("field-" + name);
      if (box) box.hidden = chosen.value !== name;
    });
  }
  audience.forEach(function (radio) { radio.addEventListener("change", showAudience); });
  showAudience();
  update();
})();
