// Registration form: show the plate/route fields only for vehicles (web/area-picker.js picks the
// commune). Without JS the form still works.
(function () {
  "use strict";
  var form = document.getElementById("venue-form");
  if (!form) return;
  var vehicles = (form.dataset.vehicles || "").split(" ");
  var category = form.querySelector("[name=category]");
  var vehicleBox = form.querySelector("fieldset.vehicle");
  function toggleVehicle() { vehicleBox.hidden = vehicles.indexOf(category.value) < 0; }
  category.addEventListener("change", toggleVehicle);
  toggleVehicle();
})();
