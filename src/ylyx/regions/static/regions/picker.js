/* Region picker: search by name / 拼音 / initials, or browse the tree; sets the hidden code input.
   Nothing typed is submitted: the visible box has no name. */
(function () {
  "use strict";
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text) e.textContent = text; return e; }
  function setup(box) {
    if (box.dataset.ready) return; box.dataset.ready = "1";
    var value = box.querySelector(".rp-value"), query = box.querySelector(".rp-query");
    var list = box.querySelector(".rp-list"), tree = box.querySelector(".rp-tree");
    var browse = box.querySelector(".rp-browse"), clear = box.querySelector(".rp-clear");
    var timer = null, last = query.value;
    function choose(item) {
      value.value = item.code; query.value = item.label; last = item.label;
      list.hidden = true; tree.hidden = true; browse.setAttribute("aria-expanded", "false");
      value.dispatchEvent(new Event("change", { bubbles: true }));
      if (box.closest("form") && box.closest("form").dataset.autosubmit !== undefined) box.closest("form").requestSubmit();
    }
    function option(item) {
      var b = el("button", "rp-option", item.label); b.type = "button"; b.setAttribute("role", "option");
      b.dataset.code = item.code; var s = el("small", "muted", " " + item.level_name); b.appendChild(s);
      b.addEventListener("click", function () { choose(item); }); return b;
    }
    function find() {
      var q = query.value.trim(); if (q === last) return; last = q;
      if (!q) { list.hidden = true; return; }
      fetch(box.dataset.searchUrl + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.json(); }).then(function (data) {
          list.innerHTML = "";
          if (!data.results.length) list.appendChild(el("span", "muted", "没有匹配的区划"));
          data.results.forEach(function (it) { list.appendChild(option(it)); });
          list.hidden = false;
        });
    }
    query.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(find, 150); });
    query.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); var first = list.querySelector(".rp-option"); if (first) first.click(); }
    });
    function branch(parentCode, into) {
      var url = box.dataset.childrenUrl + (parentCode ? "?parent=" + encodeURIComponent(parentCode) : "");
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
        into.innerHTML = ""; var ul = el("ul", "rp-branch");
        if (!parentCode && data.node) { var li0 = el("li"); li0.appendChild(option(data.node)); ul.appendChild(li0); }
        data.results.forEach(function (it) {
          var li = el("li");
          if (!it.leaf) {
            var t = el("button", "rp-toggle", "▸"); t.type = "button"; t.title = "展开下级";
            var sub = el("div"); t.addEventListener("click", function () {
              if (sub.dataset.loaded) { sub.hidden = !sub.hidden; } else { sub.dataset.loaded = "1"; branch(it.code, sub); }
              t.textContent = sub.hidden ? "▸" : "▾";
            });
            li.appendChild(t);
            li.appendChild(option(it)); li.appendChild(sub);
          } else { li.appendChild(option(it)); }
          ul.appendChild(li);
        });
        into.appendChild(ul);
      });
    }
    browse.addEventListener("click", function () {
      var open = tree.hidden; tree.hidden = !open; browse.setAttribute("aria-expanded", open ? "true" : "false");
      if (open && !tree.dataset.loaded) { tree.dataset.loaded = "1"; branch("", tree); }
    });
    if (clear) clear.addEventListener("click", function () { choose({ code: "", label: "" }); });
  }
  function all() { document.querySelectorAll(".region-picker").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all); else all();
  document.addEventListener("htmx:load", all);
})();
