// Refreshes the alert table and the pipeline-health strip in place every few seconds, without
// reloading the page: every element with data-source and data-refresh-ms is re-fetched from
// its source. A box is skipped while the user is typing in it (an ack comment).
(function () {
  "use strict";
  function keepFresh(box) {
    var every = parseInt(box.getAttribute("data-refresh-ms"), 10) || 5000;
    function refresh() {
      if (box.contains(document.activeElement) && document.activeElement.tagName !== "BODY") {
        return;
      }
      fetch(box.getAttribute("data-source"), { credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (response.redirected || !response.ok) { throw new Error(String(response.status)); }
          return response.text();
        })
        .then(function (html) { box.innerHTML = html; box.setAttribute("data-refreshed", Date.now()); })
        .catch(function () { /* keep the last content; the next tick retries */ });
    }
    setInterval(refresh, every);
  }
  var boxes = document.querySelectorAll("[data-source][data-refresh-ms]");
  for (var i = 0; i < boxes.length; i += 1) { keepFresh(boxes[i]); }
})();
