// Pick province -> district -> commune from /api/v1/units instead of typing a commune code.
// Used by every form with a commune (checkpoints, declarations). Without JS the code field stays.
(function () {
  "use strict";
  document.querySelectorAll("fieldset.area-picker").forEach(function (picker) {
    var box = document.getElementById("field-" + picker.dataset.field);
    var code = box.querySelector("input");
    var selects = [1, 2, 3].map(function (l) { return picker.querySelector("[data-level='" + l + "']"); });
    picker.hidden = false;
    box.hidden = true;

    function fill(select, parent, chosen) {
      select.innerHTML = '<option value="">—</option>';
      select.disabled = true;
      if (!parent) return Promise.resolve();
      return fetch("/api/v1/units?page_size=1000&parent=" + encodeURIComponent(parent))
        .then(function (r) { return r.json(); })
        .then(function (body) {
          body.items.forEach(function (u) {
            var o = document.createElement("option");
            o.value = u.code; o.textContent = u.full_name; o.selected = u.code === chosen;
            select.appendChild(o);
          });
          select.disabled = false;
        });
    }
    selects[0].addEventListener("change", function () {
      code.value = "";
      fill(selects[1], selects[0].value); fill(selects[2], "");
    });
    selects[1].addEventListener("change", function () { code.value = ""; fill(selects[2], selects[1].value); });
    selects[2].addEventListener("change", function () { code.value = selects[2].value; });

    // Editing, or a form returned with errors: show the commune already chosen.
    if (code.value) {
      fetch("/api/v1/units/" + encodeURIComponent(code.value)).then(function (r) {
        return r.ok ? r.json() : null;
      }).then(function (commune) {
        if (!commune) { picker.hidden = true; box.hidden = false; return; }
        return fetch("/api/v1/units/" + commune.parent_code).then(function (r) { return r.json(); })
          .then(function (district) {
            selects[0].value = district.parent_code;
            return fill(selects[1], district.parent_code, district.code)
              .then(function () { return fill(selects[2], district.code, commune.code); });
          });
      });
    } else if (selects[0].options.length === 2) {
      selects[0].selectedIndex = 1;
      selects[0].dispatchEvent(new Event("change"));
    }
    // The code field's errors sit below both (web/area_picker.html): visible once, either way.
  });
})();
