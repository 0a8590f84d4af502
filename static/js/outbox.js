// Reports kept on the phone until they can be sent (IndexedDB, a few lines of our own).
// Loaded by every page and by the service worker. An item:
//   {key: the Idempotency-Key (made once, when first kept), user: the reporter's id,
//    state: "unread" | "waiting" | "sending" | "sent" | "failed", fields, body: the
//    API's JSON body, order: {id, number} once sent, errors: [text] if refused}.
// send() posts each waiting item of the user to /api/v1/orders/ with its key, so a
// resend after a lost answer never makes a second order.
(function (global) {
  "use strict";

  var DB = "shishi-outbox";
  var STORE = "reports";
  var API = "/api/v1/orders/";

  function request(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function open() {
    var req = global.indexedDB.open(DB, 1);
    req.onupgradeneeded = function () {
      req.result.createObjectStore(STORE, { keyPath: "key" });
    };
    return request(req);
  }

  function withStore(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () {
          db.close();
          resolve(result && "result" in result ? result.result : undefined);
        };
        tx.onerror = tx.onabort = function () {
          db.close();
          reject(tx.error);
        };
      });
    });
  }

  function put(item) {
    return withStore("readwrite", function (store) { store.put(item); });
  }

  function all() {
    return withStore("readonly", function (store) { return store.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.created - b.created; });
    });
  }

  function remove(key) {
    return withStore("readwrite", function (store) { store.delete(key); });
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // The API's 400 body {detail, errors: {field: [msg] | {index: {field: [msg]}}}} as lines.
  function errorLines(body) {
    var lines = [];
    function walk(prefix, value) {
      if (Array.isArray(value)) {
        value.forEach(function (v) {
          if (typeof v === "string") lines.push((prefix ? prefix + "：" : "") + v);
          else walk(prefix, v);
        });
      } else if (value && typeof value === "object") {
        Object.keys(value).forEach(function (k) {
          walk(prefix ? prefix + " " + (/^\d+$/.test(k) ? "#" + (Number(k) + 1) : k) : k, value[k]);
        });
      } else if (value != null) {
        lines.push((prefix ? prefix + "：" : "") + String(value));
      }
    }
    if (body && body.errors) walk("", body.errors);
    if (!lines.length && body && body.detail) lines.push(String(body.detail));
    return lines;
  }

  var sending = null;

  // Sends the user's waiting reports one by one; stops at the first that cannot reach the
  // server. ``changed`` is called after each item changes.
  function send(user, changed) {
    // One run at a time; a call during a run sends again after it (new items may wait).
    if (sending) return sending.then(function () { return send(user, changed); });
    sending = all().then(function (items) {
      var mine = items.filter(function (i) {
        return i.user === user && (i.state === "waiting" || i.state === "sending");
      });
      return mine.reduce(function (previous, item) {
        return previous.then(function (go) {
          if (!go) return false;
          return sendOne(item).then(function (ok) {
            if (changed) changed(item);
            return ok;
          });
        });
      }, Promise.resolve(true));
    }).finally(function () { sending = null; });
    return sending;
  }

  function sendOne(item) {
    item.state = "sending";
    return put(item).then(function () {
      return fetch(API, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrfToken(),
          "Idempotency-Key": item.key,
        },
        body: JSON.stringify(item.body),
      });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.status === 201 || response.status === 200) {
          item.state = "sent";
          item.order = { id: body.id, number: body.number };
          item.errors = [];
        } else if (response.status === 400 || response.status === 422) {
          item.state = "failed"; // kept, with the reasons, until the reporter deletes it
          item.errors = errorLines(body);
        } else {
          // Logged out (401/403), throttled, a server error: keep it and try again later.
          item.state = "waiting";
          item.errors = errorLines(body);
        }
        return put(item).then(function () { return item.state !== "waiting"; });
      });
    }, function () {
      item.state = "waiting"; // no network after all
      return put(item).then(function () { return false; });
    });
  }

  global.ShishiOutbox = { put: put, all: all, remove: remove, send: send, errorLines: errorLines };
})(self);
