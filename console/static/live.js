// Refreshes the alert table in place every few seconds, without reloading the page.
// A refresh is skipped while the user is typing in the table (an ack comment).
(function () {
  "use strict";
  var box = document.getElementById("alerts-table");
  if (!box) { return; }
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
      .catch(function () { /* keep the last table; the next tick retries */ });
  }
  setInterval(refresh, every);
})();
