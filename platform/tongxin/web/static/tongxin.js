// Tongxin's few page behaviours, as a static file so the Content-Security-Policy can forbid inline script.
// <form data-confirm="question">: ask before submitting (cancelling a sign-up).
// <input data-select-on-click>: select the whole value on click (the calendar link, to copy it).
// <a data-back>: go back in history when there is somewhere to go back to; otherwise follow the link.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    if (target.matches("input[data-select-on-click]")) {
      target.select();
      return;
    }
    var back = target.closest("a[data-back]");
    if (back && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
})();
