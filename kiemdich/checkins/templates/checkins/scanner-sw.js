// Service worker of the staff scanner (checkins/scanner.js registers it): keeps the scanner
// page and the files it uses, so that staff at a gate with no signal can still open or reload
// it. Scans themselves never pass through here: they wait in the page's IndexedDB queue.
//
// Network first, then what was kept: online the page and its files are always the server's
// current ones (and refresh what is kept); offline the kept copies answer. Only GET requests
// of this site; the API's POSTs go straight to the network.
"use strict";
const CACHE = "kiemdich-scanner-1";
const SCANNER = /^\/venues\/\d+\/scanner\/$/;

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

// The page lists what it loaded (the worker starts after those requests went out).
self.addEventListener("message", (event) => {
  const files = ((event.data && event.data.keep) || []).filter(
    (url) => new URL(url, self.location.href).origin === self.location.origin
  );
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => Promise.all(files.map((url) => keep(cache, url).catch(() => null))))
      .then(() => event.ports[0] && event.ports[0].postMessage("kept"))
  );
});

// A redirect (to the login page, once the session has ended) is never kept as the page.
async function keep(cache, request) {
  const fresh = await fetch(request);
  if (fresh.ok && !fresh.redirected) await cache.put(request, fresh.clone());
  return fresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  const isScanner = request.mode === "navigate" && SCANNER.test(url.pathname);
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const kept = await cache.match(request, { ignoreSearch: isScanner });
      if (!kept && !isScanner) return fetch(request);
      try {
        const fresh = await keep(cache, request);
        // The server briefly unavailable (a 503 while its database restarts): the kept page
        // lets staff go on scanning into the queue.
        return fresh.status >= 500 && kept ? kept : fresh;
      } catch (err) {
        return kept || Response.error();
      }
    })
  );
});
