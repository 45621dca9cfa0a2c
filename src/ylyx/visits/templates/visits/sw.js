/* 探访 service worker: network first for the phone page and its files, the cache when offline.
   Matching ignores Vary: Django varies on Cookie, which a cached request never carries. */
var CACHE = "ylyx-visits-v1";
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (e) { e.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", function (e) {
  var req = e.request;
  if (req.method !== "GET" || new URL(req.url).origin !== self.location.origin) return;
  e.respondWith(fetch(req).then(function (resp) {
    if (resp.ok && resp.type === "basic" && !resp.redirected) {
      var copy = resp.clone();
      caches.open(CACHE).then(function (c) { c.put(req, copy); });
    }
    return resp;
  }).catch(function () {
    return caches.match(req, {ignoreVary: true}).then(function (hit) {
      return hit || new Response("离线，且本机没有缓存此页面", {status: 503, headers: {"Content-Type": "text/plain; charset=utf-8"}});
    });
  }));
});
