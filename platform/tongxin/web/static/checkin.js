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

// In-page scanning where the browser can read QR codes itself (BarcodeDetector); elsewhere the phone's own
// camera app opens the QR's link, which lands on this same page.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("scanner");
    if (!box || !("BarcodeDetector" in window) || !navigator.mediaDevices) { return; }
    // The site's Permissions-Policy may keep the camera off: then only the camera app and the digits remain.
    var policy = document.permissionsPolicy || document.featurePolicy;
    if (policy && policy.allowsFeature && !policy.allowsFeature("camera")) { return; }
    box.hidden = false;
    var video = document.getElementById("scan-video"), status = document.getElementById("scan-status");
    document.getElementById("scan-button").addEventListener("click", function () {
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        var timer = window.setInterval(function () {
          detector.detect(video).then(function (found) {
            if (!found.length) { return; }
            var link = found[0].rawValue;
            if (link.indexOf(window.location.origin + "/hours/scan?c=") === 0) {
              window.clearInterval(timer);
              stream.getTracks().forEach(function (track) { track.stop(); });
              window.location.assign(link);
            } else {
              status.textContent = status.dataset.wrong;
            }
          }).catch(function () {});
        }, 300);
      }).catch(function () { status.textContent = status.dataset.denied; });
    });
  });
})();
