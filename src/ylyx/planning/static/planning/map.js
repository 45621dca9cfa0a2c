/* 15-minute circles: facilities with their walking-distance hulls, demand points by coverage and 2SFCA, MCLP sites. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("planning-data").textContent);
  var settings = JSON.parse(document.getElementById("map-settings").textContent);
  var map = L.map("planning-map", { maxZoom: 18, minZoom: 5 });
  if (settings.tile_url) L.tileLayer(settings.tile_url, { attribution: settings.attribution || "", maxZoom: 18 }).addTo(map);
  function esc(s) { var d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; }
  var circles = L.layerGroup(), facilities = L.layerGroup(), demand = L.layerGroup(), sites = L.layerGroup();
  var maxA = 0;
  data.demand.forEach(function (p) { if (p.a > maxA) maxA = p.a; });
  data.facilities.forEach(function (f) {
    if (f.circle.length >= 3) L.polygon(f.circle, { color: "#2b6cb0", weight: 1, fillOpacity: 0.12, className: "service-circle" }).addTo(circles);
    L.circleMarker([f.lat, f.lon], { radius: 6, color: "#fff", weight: 1, fillColor: "#2b6cb0", fillOpacity: 1 })
      .bindPopup("<strong>" + esc(f.name) + "</strong><br>床位/托位 " + f.supply).addTo(facilities);
  });
  data.demand.forEach(function (p) {
    var colour = p.covered ? "#2f855a" : "#c53030";
    var op = p.covered && maxA > 0 ? 0.35 + 0.65 * p.a / maxA : 0.8;
    L.circleMarker([p.lat, p.lon], { radius: 3, stroke: false, fillColor: colour, fillOpacity: op })
      .bindTooltip("需求 " + p.w + "；2SFCA " + p.a + "‰；E2SFCA " + p.e + "‰").addTo(demand);
  });
  data.sites.forEach(function (s) {
    if (s.circle && s.circle.length >= 3) L.polygon(s.circle, { color: "#b7791f", weight: 1, dashArray: "4 3", fillOpacity: 0.08, className: "site-circle" }).addTo(sites);
    L.circleMarker([s.lat, s.lon], { radius: 8, color: "#744210", weight: 2, fillColor: "#d69e2e", fillOpacity: 1, className: "chosen-site" })
      .bindPopup(esc(s.name)).addTo(sites);
  });
  [circles, demand, facilities, sites].forEach(function (l) { l.addTo(map); });
  L.control.layers(null, { "服务圈": circles, "需求点": demand, "现有设施": facilities, "建议选址": sites }, { collapsed: false }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  var pts = data.demand.map(function (p) { return [p.lat, p.lon]; });
  if (pts.length) map.fitBounds(L.latLngBounds(pts).pad(0.05)); else map.setView(data.centre, 13);
  window.ylyxPlanningMap = { map: map, circles: data.facilities.length, sites: data.sites.length };
})();
