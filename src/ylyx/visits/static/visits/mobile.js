/* 探访 on a phone, offline first: tasks cached in localStorage, visits queued there with a client UUID
   and sent when the network is back; the server stores each UUID once, so resending is harmless. */
(function () {
  "use strict";
  var body = document.body, uid = body.dataset.user;
  var K_TASKS = "ylyx.visits." + uid + ".tasks", K_QUEUE = "ylyx.visits." + uid + ".queue";
  var csrf = document.querySelector("meta[name=csrf-token]").content;
  var list = document.getElementById("tasks"), syncState = document.getElementById("sync-state");
  var syncing = false;

  function load(k, d) { try { return JSON.parse(localStorage.getItem(k)) || d; } catch (e) { return d; } }
  function save(k, v) { localStorage.setItem(k, JSON.stringify(v)); }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16)); b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function today() { var d = new Date(); d.setMinutes(d.getMinutes() - d.getTimezoneOffset()); return d.toISOString().slice(0, 10); }

  function showNet() {
    document.getElementById("net").textContent = navigator.onLine ? "在线" : "离线：记录将保存在本机，联网后自动同步";
  }
  function showQueue() {
    var q = load(K_QUEUE, []);
    var errs = q.filter(function (v) { return v.errors; }).length;
    syncState.textContent = q.length ? ("待同步 " + q.length + " 条" + (errs ? "（" + errs + " 条有误，请核对）" : "")) : "已全部同步";
    syncState.dataset.pending = String(q.length);
  }
  function render() {
    var tasks = load(K_TASKS, {tasks: []}).tasks, queued = {}, filter = (document.getElementById("q").value || "").trim();
    load(K_QUEUE, []).forEach(function (v) { queued[v.task] = true; });
    var frag = document.createDocumentFragment();
    tasks.forEach(function (t) {
      if (filter && (t.name + t.address + t.region).indexOf(filter) < 0) return;
      var li = document.createElement("li"); li.dataset.task = t.id;
      if (queued[t.id]) li.className = "queued";
      var s = document.createElement("span");
      s.textContent = t.name + " · " + t.region + (t.address ? " · " + t.address : "");
      var due = document.createElement("small"); due.textContent = " 期限 " + t.due; if (t.overdue) due.className = "overdue";
      s.appendChild(due); li.appendChild(s);
      var b = document.createElement("button"); b.type = "button"; b.textContent = queued[t.id] ? "已记录" : "记录探访";
      b.dataset.task = t.id; b.className = "record"; li.appendChild(b);
      frag.appendChild(li);
    });
    list.replaceChildren(frag);
    showQueue();
  }
  function refresh() {
    return fetch(body.dataset.tasks, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok || (r.headers.get("Content-Type") || "").indexOf("json") < 0) throw new Error(); return r.json(); })
      .then(function (data) { refresh.tries = 0; save(K_TASKS, data); render(); })
      .catch(function () {  /* offline: keep the cached tasks; online: try again shortly */
        if (navigator.onLine && (refresh.tries = (refresh.tries || 0) + 1) < 5) setTimeout(refresh, 1000 * refresh.tries);
      });
  }
  function sync() {
    var q = load(K_QUEUE, []);
    if (syncing || !q.length || !navigator.onLine) { showQueue(); return Promise.resolve(); }
    syncing = true; syncState.textContent = "正在同步 " + q.length + " 条…";
    return fetch(body.dataset.sync, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json"},
      body: JSON.stringify({visits: q})})
      .then(function (r) {
        if ((r.headers.get("Content-Type") || "").indexOf("json") < 0) throw new Error("请重新登录后同步");
        return r.json();
      })
      .then(function (data) {
        var done = {}, errors = {};
        (data.results || []).forEach(function (res) {
          if (res.status === "created" || res.status === "exists") done[res.client_uuid] = true;
          else errors[res.client_uuid] = res.errors;
        });
        // items queued while the request was in flight stay; only answered ones leave the queue
        var rest = load(K_QUEUE, []).filter(function (v) { return !done[v.client_uuid]; });
        rest.forEach(function (v) { if (errors[v.client_uuid]) v.errors = errors[v.client_uuid]; });
        save(K_QUEUE, rest);
        syncing = false; render();
        return refresh();
      })
      .catch(function (e) { syncing = false; showQueue(); if (e && e.message) syncState.textContent += "：" + e.message; });
  }

  var dialog = document.getElementById("visit-dialog"), form = document.getElementById("visit-form");
  list.addEventListener("click", function (ev) {
    var b = ev.target.closest("button.record"); if (!b) return;
    form.reset(); form.task.value = b.dataset.task; form.visited_on.value = today();
    document.getElementById("visit-error").textContent = "";
    dialog.showModal();
  });
  document.getElementById("visit-cancel").addEventListener("click", function () { dialog.close(); });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!form.visited_on.value) { document.getElementById("visit-error").textContent = "请填写探访日期"; return; }
    var risks = Array.prototype.filter.call(form.querySelectorAll("input[name=risks]"), function (c) { return c.checked; })
      .map(function (c) { return c.value; });
    var q = load(K_QUEUE, []);
    q.push({client_uuid: uuid(), task: Number(form.task.value), visited_on: form.visited_on.value, mode: form.mode.value,
            health: form.health.value, safety: form.safety.value, living: form.living.value, needs: form.needs.value,
            risks: risks, queued_at: new Date().toISOString()});
    save(K_QUEUE, q);
    dialog.close(); render(); sync();
  });
  document.getElementById("q").addEventListener("input", render);
  document.getElementById("sync-now").addEventListener("click", sync);
  window.addEventListener("online", function () { showNet(); sync(); });
  window.addEventListener("offline", showNet);
  setInterval(sync, 15000);

  // a failed registration or task fetch (a flaky network, a busy server) is retried with a growing delay
  function registerWorker(tries) {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register(body.dataset.sw, {scope: body.dataset.scope}).catch(function (e) {
      if (tries < 5) setTimeout(function () { registerWorker(tries + 1); }, 1000 * (tries + 1));
      else if (window.console) console.warn("service worker:", e);
    });
  }
  registerWorker(0);
  function cacheShell(tries) {  // the page shell and its files, so the page opens offline
    if (!window.caches) return;
    caches.open("ylyx-visits-v1").then(function (c) {
      return c.addAll([location.pathname].concat(body.dataset.static.split(" ")));
    }).catch(function () { if (tries < 5) setTimeout(function () { cacheShell(tries + 1); }, 1000 * (tries + 1)); });
  }
  cacheShell(0);
  showNet(); render(); refresh().then(sync);
})();
