// The inspector's page: fill the check-in and photo forms with the phone's position, if the user allows it.
(function () {
  "use strict";
  if (!("geolocation" in navigator)) { return; }
  var forms = document.querySelectorAll("form.action-form");
  var want = [];
  forms.forEach(function (f) {
    var lat = f.querySelector("input[name=lat]"), lon = f.querySelector("input[name=lon]");
    if (lat && lon) { want.push([lat, lon]); }
  });
  if (!want.length) { return; }
  navigator.geolocation.getCurrentPosition(function (pos) {
    want.forEach(function (pair) {
      if (!pair[0].value) { pair[0].value = pos.coords.latitude.toFixed(6); }
      if (!pair[1].value) { pair[1].value = pos.coords.longitude.toFixed(6); }
    });
  }, function () { /* denied or unavailable: the fields stay editable by hand */ }, {timeout: 10000, maximumAge: 60000});
})();
