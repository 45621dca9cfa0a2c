/* A small grid clusterer for Leaflet: at each zoom, points falling in the same screen cell (CELL px) are
   drawn as one circle with their count; clicking it zooms in on them. Leaflet.markercluster is not
   available offline here, so this stands in for it. */
(function () {
  "use strict";
  var CELL = 64;
  L.GridCluster = L.LayerGroup.extend({
    initialize: function (points, makeMarker, options) {
      L.LayerGroup.prototype.initialize.call(this, [], options);
      this._points = points; this._make = makeMarker; this._shown = 0;
    },
    onAdd: function (map) {
      L.LayerGroup.prototype.onAdd.call(this, map);
      this._map = map; map.on("zoomend", this._redraw, this); this._redraw();
    },
    onRemove: function (map) { map.off("zoomend", this._redraw, this); L.LayerGroup.prototype.onRemove.call(this, map); },
    count: function () { return this._points.length; },
    _redraw: function () {
      var map = this._map; if (!map) return;
      this.clearLayers(); var z = map.getZoom(), cells = {};
      this._points.forEach(function (p) {
        var pt = map.project([p.lat, p.lon], z), key = Math.floor(pt.x / CELL) + ":" + Math.floor(pt.y / CELL);
        (cells[key] = cells[key] || []).push(p);
      });
      var self = this;
      Object.keys(cells).forEach(function (key) {
        var group = cells[key];
        if (group.length === 1 || z >= map.getMaxZoom()) {
          group.forEach(function (p) { self.addLayer(self._make(p)); });
          return;
        }
        var lat = 0, lon = 0; group.forEach(function (p) { lat += p.lat; lon += p.lon; });
        var size = group.length < 10 ? 30 : group.length < 100 ? 38 : 46;
        var icon = L.divIcon({ className: "grid-cluster", html: "<span>" + group.length + "</span>", iconSize: [size, size] });
        var m = L.marker([lat / group.length, lon / group.length], { icon: icon, title: group.length + " 个机构" });
        m.on("click", function () {
          map.fitBounds(L.latLngBounds(group.map(function (p) { return [p.lat, p.lon]; })).pad(0.2));
        });
        self.addLayer(m);
      });
    }
  });
})();
