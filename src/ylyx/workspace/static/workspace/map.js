/* The city map: offline base (region outlines; a tile layer only when the server sets MAP_TILE_URL),
   choropleth of the sub-regions, institutions by kind as clustered layers with popups. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("map-data").textContent);
  var settings = JSON.parse(document.getElementById("map-settings").textContent);
  var map = L.map("city-map", { preferCanvas: false, maxZoom: 16, minZoom: 5 });
  if (settings.tile_url) {
    L.tileLayer(settings.tile_url, { attribution: settings.attribution || "", maxZoom: 18 }).addTo(map);
  }
  var bounds = null;
  function grow(b) { if (b && b.isValid()) bounds = bounds ? bounds.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast()); }
  var overlays = {};
  if (data.choropleth && data.choropleth.features.length) {
    var ch = L.geoJSON({ type: "FeatureCollection", features: data.choropleth.features }, {
      style: function (f) { return { fillColor: f.properties.colour, fillOpacity: 0.65, color: "#555", weight: 1 }; },
      onEachFeature: function (f, layer) {
        var v = f.properties.value === null ? "无数据" : f.properties.value;
        layer.bindTooltip(f.properties.name + "：" + v + (f.properties.synthetic ? "（演示边界）" : ""), { sticky: true });
      }
    }).addTo(map);
    overlays["区域着色：" + data.choropleth.name] = ch; grow(ch.getBounds());
  }
  var base = L.geoJSON(data.outlines, {
    style: function (f) { return { fill: false, color: f.properties.level <= 3 ? "#333" : "#888", weight: f.properties.level <= 3 ? 2 : 1, dashArray: f.properties.synthetic ? "4 3" : null }; },
    interactive: false
  }).addTo(map);
  grow(base.getBounds());
  function esc(s) { var d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; }
  function marker(p) {
    var m = L.circleMarker([p.lat, p.lon], { radius: 4 + Math.min(10, Math.sqrt(p.capacity || 0) / 2), color: "#fff", weight: 1,
      fillColor: data.colours[p.kind] || "#666", fillOpacity: 0.9 });
    m.bindPopup("<strong><a href=\"" + p.url + "\">" + esc(p.name) + "</a></strong><br>" + esc(p.kind_label) + " · " + esc(p.subtype) +
      "<br>" + esc(p.unit) + " " + p.capacity + "，在" + (p.kind === "childcare" ? "托" : "住") + " " + p.used +
      (p.occupancy === null ? "" : "（" + p.occupancy + "%）"));
    m.options.className = "inst-marker";
    return m;
  }
  var labels = { elder: "养老机构", community: "社区设施", childcare: "托育机构" }, total = 0;
  window.ylyxMap = { map: map, layers: {}, markerCount: 0 };
  Object.keys(labels).forEach(function (kind) {
    var pts = data.markers.filter(function (p) { return p.kind === kind; });
    if (!pts.length) return;
    var layer = new L.GridCluster(pts, marker).addTo(map);
    overlays[labels[kind] + "（" + pts.length + "）"] = layer; window.ylyxMap.layers[kind] = layer; total += pts.length;
    grow(L.latLngBounds(pts.map(function (p) { return [p.lat, p.lon]; })));
  });
  window.ylyxMap.markerCount = total;
  L.control.layers(null, overlays, { collapsed: false }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  if (bounds) map.fitBounds(bounds.pad(0.05));
  else if (data.centre) map.setView(data.centre, 9);
  else map.setView([40.75, 107.4], 8);
})();
