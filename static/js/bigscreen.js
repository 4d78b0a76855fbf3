/* Big screen: reload the page every few minutes (data-refresh-seconds on <body>). The
   page is checked first, so a server that is briefly down never leaves an error page on
   the meeting-room screen: the current figures stay and the check is retried a minute
   later (a sign-in page, once the session has expired, is shown as it is). */
(function () {
  "use strict";

  var RETRY_MS = 60 * 1000;

  function seconds() {
    var value = parseInt(document.body.getAttribute("data-refresh-seconds"), 10);
    return value > 0 ? value : 300;
  }

  function refresh() {
    if (!window.fetch) {
      window.location.reload();
      return;
    }
    window
      .fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.ok) {
          window.location.reload();
        } else {
          window.setTimeout(refresh, RETRY_MS);
        }
      })
      .catch(function () {
        window.setTimeout(refresh, RETRY_MS);
      });
  }

  function start() {
    window.setTimeout(refresh, seconds() * 1000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
