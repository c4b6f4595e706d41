// Check-in page: before a check-in form is sent, attach the phone's position when the person allows it.
// No position (refused, unavailable or slow) still checks in: the organization sees it had none.
(function () {
  "use strict";
  function attach(form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.located === "1" || !navigator.geolocation) { return; }
      event.preventDefault();
      var status = form.querySelector(".geo-status");
      if (status) { status.textContent = document.documentElement.lang === "en" ? "Finding your position…" : "正在获取位置…"; }
      var sent = false;
      function send() { if (sent) { return; } sent = true; form.dataset.located = "1"; form.submit(); }
      navigator.geolocation.getCurrentPosition(function (position) {
        form.querySelector("input[name=lat]").value = position.coords.latitude.toFixed(6);
        form.querySelector("input[name=lon]").value = position.coords.longitude.toFixed(6);
        send();
      }, send, { enableHighAccuracy: true, timeout: 6000, maximumAge: 60000 });
      window.setTimeout(send, 7000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form.check-in-form"), attach);
  });
})();
