// The organizer's code screen: fetch the next code when the current one turns (every 30 seconds), show the
// counts, and keep the phone's screen awake (Screen Wake Lock API) while the page is visible.
(function () {
  "use strict";
  var screen, left, lock = null;
  function zh() { return document.documentElement.lang !== "en"; }
  function put(id, value) { var el = document.getElementById(id); if (el) { el.textContent = value; } }
  function refresh() {
    fetch(screen.dataset.url, { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(String(response.status)); } return response.json(); })
      .then(function (code) {
        document.getElementById("qr").innerHTML = code.qr_svg;  // our own server's SVG, no script inside
        put("short-code", code.short_code);
        put("expected", code.expected); put("checked-in", code.checked_in); put("checked-out", code.checked_out);
        left = code.seconds_left;
        put("seconds-left", left);
      })
      .catch(function () { left = 3; });  // offline for a moment: try again shortly
  }
  function tick() {
    left -= 1;
    if (left <= 0) { refresh(); } else { put("seconds-left", left); }
  }
  function keepAwake() {
    if (!("wakeLock" in navigator)) {
      put("wake-status", zh() ? "此浏览器不能保持屏幕常亮，请在设置中延长自动锁屏时间。" : "This browser cannot keep the screen on; lengthen the auto-lock time.");
      return;
    }
    navigator.wakeLock.request("screen").then(function (sentinel) {
      lock = sentinel;
      put("wake-status", zh() ? "屏幕将保持常亮" : "The screen stays on");
      sentinel.addEventListener("release", function () { lock = null; });
    }).catch(function () { put("wake-status", ""); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    screen = document.getElementById("code-screen");
    if (!screen) { return; }
    left = parseInt(screen.dataset.seconds, 10) || 30;
    window.setInterval(tick, 1000);
    keepAwake();
    // The lock is released when the page is hidden; take it again when the organizer comes back.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { if (lock === null) { keepAwake(); } refresh(); }
    });
  });
})();
