// The installable app: registers the service worker (/sw.js, scope /) and sends reports
// kept on the phone (outbox.js) when the page loads and when the network comes back.
(function () {
  "use strict";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  }

  function user() {
    var id = document.body && document.body.getAttribute("data-user");
    return id ? Number(id) : null;
  }

  function sendKept() {
    if (!self.ShishiOutbox || user() === null || !navigator.onLine) return;
    self.ShishiOutbox.send(user(), function () {
      document.dispatchEvent(new CustomEvent("outbox:changed"));
    }).catch(function () {});
  }

  document.addEventListener("DOMContentLoaded", function () {
    // The report form's copy kept for offline use names who was logged in: not past log-out.
    var logout = document.querySelector("form.logout");
    if (logout && "caches" in self) {
      logout.addEventListener("submit", function () { caches.delete("pages"); });
    }
    sendKept();
  });
  window.addEventListener("online", sendKept);
})();
