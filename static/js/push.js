// Web Push opt-in and opt-out for this device (issue 14). Registers no service worker:
// it waits for the one the site serves at /sw.js (`navigator.serviceWorker.ready`),
// subscribes with the server's VAPID public key and posts the subscription to
// /api/v1/push/subscriptions/ (session + CSRF). Every [data-push-toggle] button toggles;
// labels and messages come from the button's data-* attributes (translated server-side).
(function () {
  "use strict";

  var buttons = Array.prototype.slice.call(document.querySelectorAll("[data-push-toggle]"));
  if (!buttons.length) return;
  var first = buttons[0];
  var api = first.dataset.api;
  var status = document.querySelector("[data-push-status]");

  function say(key) {
    if (status) status.textContent = first.dataset[key] || "";
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !window.isSecureContext) {
    document.querySelectorAll("[data-push-unsupported]").forEach(function (el) {
      el.hidden = false;
    });
    return;
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function call(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken(),
      },
      body: body ? JSON.stringify(body) : undefined,
    }).then(function (resp) {
      if (!resp.ok) throw new Error("HTTP " + resp.status);
      return resp.status === 204 ? null : resp.json();
    });
  }

  function keyBytes(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(b64 + "===".slice((b64.length + 3) % 4));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  // This person's server-side record of the browser's subscription, or null.
  function ownRecord(sub) {
    if (!sub) return Promise.resolve(null);
    return call("GET", api).then(function (list) {
      return list.filter(function (d) { return d.endpoint === sub.endpoint; })[0] || null;
    });
  }

  function show(on) {
    buttons.forEach(function (b) {
      b.textContent = on ? b.dataset.labelOn : b.dataset.labelOff;
      b.setAttribute("aria-pressed", on ? "true" : "false");
      b.hidden = false;
      b.disabled = false;
    });
    say(on ? "msgOn" : "msgOff");
  }

  function subscribe(reg) {
    var options = { userVisibleOnly: true, applicationServerKey: keyBytes(first.dataset.key) };
    return reg.pushManager.getSubscription().then(function (old) {
      // A subscription made with another key (the server's keys changed) must go first.
      return old ? old.unsubscribe() : null;
    }).then(function () {
      return reg.pushManager.subscribe(options);
    }).then(function (sub) {
      var body = sub.toJSON();
      return call("POST", api, body).catch(function (err) {
        return sub.unsubscribe().then(function () { throw err; });
      });
    });
  }

  function unsubscribe(reg) {
    return reg.pushManager.getSubscription().then(function (sub) {
      return ownRecord(sub).then(function (record) {
        return record ? call("DELETE", api + record.id + "/") : null;
      }).then(function () {
        return sub ? sub.unsubscribe() : null;
      });
    });
  }

  navigator.serviceWorker.ready.then(function (reg) {
    var on = false;
    function refresh() {
      return reg.pushManager.getSubscription().then(ownRecord).then(function (record) {
        on = !!record && Notification.permission === "granted";
        show(on);
      });
    }
    buttons.forEach(function (b) {
      b.addEventListener("click", function () {
        buttons.forEach(function (x) { x.disabled = true; });
        var step = on ? unsubscribe(reg) : Notification.requestPermission().then(function (p) {
          if (p !== "granted") {
            say("msgDenied");
            throw null;
          }
          return subscribe(reg);
        });
        step.then(function () {
          // The settings page lists the devices: show the list as it now is.
          if (document.getElementById("devices")) window.location.reload();
          else return refresh();
        }, function (err) {
          if (err !== null) say("msgFailed");
          return refresh().then(function () {
            if (err === null) say("msgDenied");
          });
        });
      });
    });
    return refresh();
  }).catch(function () {
    say("msgFailed");
  });
})();
