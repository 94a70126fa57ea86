// hyperflow dashboard: the whole script layer (no framework, nothing fetched from elsewhere).
// 1. A visible loading state while a form or link leads to a new page.
// 2. Live regions: <div data-poll="URL" data-every="ms"> is refreshed from URL (an HTML
//    fragment) until the fragment says data-done="true"; a status line shows progress.
"use strict";
(function () {
  function showLoading() {
    var el = document.getElementById("hf-loading");
    if (el) { el.hidden = false; }
  }
  document.addEventListener("submit", showLoading);
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest ? ev.target.closest("a[href]") : null;
    if (a && !a.target && a.origin === location.origin && !ev.ctrlKey && !ev.metaKey) { showLoading(); }
  });
  window.addEventListener("pageshow", function () {
    var el = document.getElementById("hf-loading");
    if (el) { el.hidden = true; }
  });

  function poll(region) {
    var url = region.getAttribute("data-poll");
    var every = parseInt(region.getAttribute("data-every") || "2000", 10);
    var status = document.getElementById(region.getAttribute("data-status") || "");
    function tick() {
      if (status) { status.classList.add("busy"); }
      fetch(url, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
        .then(function (html) {
          region.innerHTML = html;
          var done = region.querySelector("[data-done]");
          if (status) { status.classList.remove("busy"); status.textContent = "updated " + new Date().toLocaleTimeString(); }
          if (!done || done.getAttribute("data-done") !== "true") { setTimeout(tick, every); }
          else if (status) { status.textContent = "finished"; }
        })
        .catch(function () {
          if (status) { status.classList.remove("busy"); status.textContent = "connection lost, retrying"; }
          setTimeout(tick, every * 2);
        });
    }
    tick();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll]").forEach(poll);
  });
})();
