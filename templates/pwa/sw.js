// The service worker of Shishi mediation, served at /sw.js (scope /) by
// shishi_mediation/pwa.py. Static files: cache first (in development, where their names
// do not change with their content, only the app shell's). Pages: network first, the offline
// page when there is no network (the report form: its last copy, so a report can still
// be written). A report form posted without a network is kept in IndexedDB (outbox.js)
// and sent by the page when the network returns. Push: shows {title, body, url, tag};
// a click focuses a window on url or opens one.
"use strict";

const CONFIG = {{ config|safe }};
const SHELL = "shell-" + CONFIG.version;
// The report form as last fetched; dropped on log-out (pwa.js).
const PAGES = "pages";

importScripts(CONFIG.outboxJs);

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL).then((cache) => cache.addAll(CONFIG.precache)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((key) => key.startsWith("shell-") && key !== SHELL).map((key) => caches.delete(key))
      ))
      .then(() => self.clients.claim())
  );
});

async function cacheFirst(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(SHELL);
    await cache.put(request, response.clone());
  }
  return response;
}

// A static file whose name does not change with its content (development): the network,
// the cache only without one.
async function fresh(request) {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const cache = await caches.open(SHELL);
      await cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    return (await caches.match(request)) || Response.error();
  }
}

async function networkFirst(request, url) {
  try {
    const response = await fetch(request);
    if (url.pathname === CONFIG.reportUrl && response.ok && !response.redirected) {
      const cache = await caches.open(PAGES);
      await cache.put(CONFIG.reportUrl, response.clone());
    }
    return response;
  } catch (error) {
    if (url.pathname === CONFIG.reportUrl) {
      const page = await caches.match(CONFIG.reportUrl, { cacheName: PAGES });
      if (page) return page;
    }
    return (await caches.match(CONFIG.offlineUrl)) || Response.error();
  }
}

// The report form posted as usual; when the post cannot reach the server, the report is
// kept on the phone (its text fields; chosen files cannot be kept) and the form shown
// again, where report-offline.js lists it as waiting to send.
async function postReport(request) {
  const copy = request.clone();
  try {
    return await fetch(request);
  } catch (error) {
    const form = await copy.formData();
    const fields = [];
    for (const [name, value] of form.entries()) {
      if (typeof value === "string" && name !== "csrfmiddlewaretoken") fields.push([name, value]);
    }
    await self.ShishiOutbox.put({
      key: self.crypto.randomUUID(),
      state: "unread",  // report-offline.js turns it into an API body, then "waiting"
      fields: fields,
      user: null,
      created: Date.now(),
    });
    return Response.redirect(CONFIG.reportUrl + "?queued=1", 303);
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST") {
    if (request.mode === "navigate" && url.pathname === CONFIG.reportUrl) {
      event.respondWith(postReport(request));
    }
    return;
  }
  if (request.method !== "GET") return;
  if (url.pathname.startsWith(CONFIG.staticUrl)) {
    const named = CONFIG.hashedStatic || CONFIG.precache.includes(url.pathname);
    event.respondWith(named ? cacheFirst(request) : fresh(request));
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirst(request, url));
  }
});

// Only a path on this site is opened from a notice.
function localPath(value) {
  if (typeof value !== "string" || !value.startsWith("/")) return "/";
  // "//host" and "/\\host" name another site; whatever parses elsewhere is refused too.
  const url = new URL(value, self.location.origin);
  return url.origin === self.location.origin ? url.pathname + url.search + url.hash : "/";
}

self.addEventListener("push", (event) => {
  let data = {};
  if (event.data) {
    try {
      data = event.data.json();
    } catch (error) {
      data = { body: event.data.text() };
    }
  }
  const options = {
    body: data.body || "",
    icon: CONFIG.icon,
    badge: CONFIG.icon,
    data: { url: localPath(data.url) },
  };
  if (data.tag) {
    options.tag = String(data.tag); // a resend replaces the notice instead of adding one
    options.renotify = true;
  }
  event.waitUntil(self.registration.showNotification(data.title || CONFIG.name, options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(localPath(event.notification.data && event.notification.data.url), self.location.origin);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      const at = new URL(client.url);
      if (at.origin === target.origin && at.pathname === target.pathname && "focus" in client) {
        return client.focus();
      }
    }
    return self.clients.openWindow(target.href);
  })());
});
