// Staff scanner of one checkpoint (template checkins/scanner.html). Plain JS, no build step:
// the page must load fast on a cheap phone and keep working when the network comes and goes.
//
// Why it is built this way:
// - Every scan is written to IndexedDB *before* it is sent, with its client UUID and the time
//   it was scanned. A lost response, a dead network or a closed tab never loses a scan, and
//   sending it again never doubles it: the server skips client ids it already has.
// - The queue is sent to POST /api/v1/checkins/batch. A per-item 200/201 (or a 4xx, which is
//   final) removes the item; network errors, 5xx and 429 keep it for a later try (backoff,
//   and at once when the browser says it is online again).
// - The browser's BarcodeDetector reads the camera where it exists (Android Chrome). Elsewhere
//   (Chromium on Linux, iOS, Firefox) the vendored zxing-wasm polyfill is loaded from our own
//   static files, never from a CDN, and its wasm is fetched at page load, while still online.
// - A typed-in visitor the server refuses (a phone number it cannot accept) is never dropped:
//   the item stays on the phone, marked, until staff correct it ("Fix"), and is then sent with
//   the time it was first recorded. The page checks the phone before queueing, so what staff
//   typed stays in the form with the message beside it.
// - The latest results are kept on the phone too (store "recent", for the day), so a reload
//   shows them again; a service worker (scanner-sw.js) keeps the page and its files, so the
//   scanner opens and reloads without a network.
(function () {
  "use strict";
  const configNode = document.getElementById("scanner-config");
  const root = document.getElementById("scanner");
  if (!configNode || !root) return;
  const cfg = JSON.parse(configNode.textContent);
  const T = cfg.strings;
  const $ = (id) => document.getElementById(id);
  const lang = document.documentElement.lang || "vi";
  const MAX_ROWS = 30; // the list is a glance at the last visitors, not a register
  const CHUNK = 200; // items per batch request (the API takes up to 1000)

  // ---- the queue: IndexedDB, or memory when the browser refuses storage (private mode) ----
  const DB_NAME = "kiemdich-scanner";
  const STORE = "queue"; // scans not yet stored by the server
  const RECENT = "recent"; // the latest answers, shown again after a reload
  const RECENT_HOURS = 12;

  function openDb() {
    return new Promise((resolve, reject) => {
      if (!window.indexedDB) return reject(new Error("no IndexedDB"));
      const req = indexedDB.open(DB_NAME, 2);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: "client_id" });
        if (!db.objectStoreNames.contains(RECENT)) db.createObjectStore(RECENT, { keyPath: "client_id" });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  function idbStore(db, name) {
    // Resolve when the transaction is committed, not when the request succeeds: only then
    // is the scan safely on the phone.
    function run(mode, fn) {
      return new Promise((resolve, reject) => {
        const tx = db.transaction(name, mode);
        const req = fn(tx.objectStore(name));
        tx.oncomplete = () => resolve(req ? req.result : undefined);
        tx.onerror = tx.onabort = () => reject(tx.error);
      });
    }
    return {
      put: (item) => run("readwrite", (s) => s.put(item)),
      remove: (ids) => run("readwrite", (s) => { ids.forEach((id) => s.delete(id)); }),
      all: () => run("readonly", (s) => s.getAll()),
    };
  }

  function memoryStore() {
    const items = new Map();
    return {
      put: async (item) => { items.set(item.client_id, item); },
      remove: async (ids) => { ids.forEach((id) => items.delete(id)); },
      all: async () => Array.from(items.values()),
    };
  }

  // ---- small helpers ----
  function uuid4() {
    // crypto.randomUUID exists only in secure contexts; on a LAN the page may be plain http.
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  function csrfToken() {
    // The cookie first: it is the current one if the user logged in again in another tab.
    const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : root.dataset.csrf;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    });
  }

  function clock(iso) {
    // Times are shown in Vietnam's time whatever the phone's zone (DESIGN.md §3).
    const opts = { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: "Asia/Ho_Chi_Minh" };
    try {
      return new Date(iso).toLocaleTimeString(lang, opts);
    } catch (err) {
      delete opts.timeZone; // a browser without time zone data
      return new Date(iso).toLocaleTimeString(lang, opts);
    }
  }

  // Remembered choices (camera on, direction); storage may be refused, then nothing is kept.
  function pref(key, value) {
    try {
      if (value === undefined) return localStorage.getItem("kd-scanner-" + key);
      localStorage.setItem("kd-scanner-" + key, value);
    } catch (err) {
      return null;
    }
  }

  function detailText(detail) {
    if (Array.isArray(detail)) return detail.map((d) => d.msg || JSON.stringify(d)).join("; ");
    return String(detail || "");
  }

  // ---- the list of latest scans ----
  const list = $("results");
  const rows = new Map(); // client_id -> <li>

  // The row of a scan; a new one only for a new scan, so that sending a long queue does not
  // bring back rows that already scrolled out of the list.
  function row(item, create) {
    let li = rows.get(item.client_id);
    if (li || !create) return li;
    li = document.createElement("li");
    li.dataset.clientId = item.client_id;
    li.innerHTML = '<time></time> <span class="dir"></span> <span class="who"></span><span class="state"></span>';
    li.querySelector("time").textContent = clock(item.scan.at);
    li.querySelector(".dir").textContent = item.scan.direction ? T[item.scan.direction] : "";
    li.querySelector(".who").textContent = item.label;
    rows.set(item.client_id, li);
    list.insertBefore(li, list.firstChild);
    while (list.children.length > MAX_ROWS) {
      rows.delete(list.lastChild.dataset.clientId);
      list.removeChild(list.lastChild);
    }
    return li;
  }

  function setRow(item, state, text, create) {
    const li = row(item, create);
    if (!li) return;
    li.className = state; // waiting | saved | failed
    li.querySelector(".state").textContent = text;
  }

  function remember(item, li) {
    if (!recent || !li) return;
    recent.put({
      client_id: item.client_id,
      at: item.scan.at,
      dir: li.querySelector(".dir").textContent,
      who: li.querySelector(".who").textContent,
      state: li.className,
      text: li.querySelector(".state").textContent,
      kept: Date.now(),
    }).catch(() => {});
  }

  function showCheckin(item, checkin, replayed) {
    const li = row(item);
    if (li && checkin) {
      li.querySelector(".dir").textContent = T[checkin.direction] || "";
      let who = T.no_person;
      if (checkin.person) who = checkin.person.name + (checkin.person.birth_year ? " (" + checkin.person.birth_year + ")" : "");
      else if (checkin.venue && checkin.venue.id !== cfg.venueId) who = checkin.venue.name;
      li.querySelector(".who").textContent = who;
    }
    setRow(item, "saved", replayed ? T.again : T.saved);
    remember(item, li || row(item));
  }

  // A typed-in visitor the server refused: kept, marked, with a way to correct it.
  async function keepRefused(item, detail) {
    item.refused = detail;
    await store.put(item);
    showRefused(item);
  }

  function showRefused(item) {
    setRow(item, "failed", item.refused + " " + T.kept_to_fix, true);
    const li = row(item);
    if (!li || li.querySelector("button.fix")) return;
    const fix = document.createElement("button");
    fix.type = "button";
    fix.className = "fix secondary";
    fix.textContent = T.fix;
    fix.addEventListener("click", () => startFix(item));
    li.appendChild(fix);
  }

  // ---- sending the queue ----
  let store = null;
  let syncing = false;
  let again = false; // a scan came in while a sync was running: run once more after it
  let retryTimer = null;
  let backoff = 0;

  // "Keep the items and try again later", after at least `ms`, telling staff `why` if given.
  class Later extends Error {
    constructor(ms, why) { super("later"); this.ms = ms; this.why = why; }
  }

  async function refreshCount() {
    const items = store ? await store.all() : [];
    const toFix = items.filter((i) => i.refused).length;
    $("pending").textContent = String(items.length - toFix);
    $("to-fix").textContent = String(toFix);
    $("to-fix-bar").hidden = !toFix;
  }

  function note(text) {
    const p = $("sync-note");
    p.textContent = text || "";
    p.hidden = !text;
  }

  function transient(status) {
    return status >= 500 || status === 429 || status === 408 || status === 404;
  }

  function retryAfter(res) {
    const s = parseInt(res.headers.get("Retry-After") || "", 10);
    return s > 0 ? s * 1000 : 0;
  }

  async function finish(done) {
    if (done.length) await store.remove(done);
  }

  // Send up to CHUNK items; returns how many left the queue. Throws Later when nothing could.
  async function sendChunk(items) {
    let res;
    try {
      res = await post(cfg.batchUrl, { items: items.map((i) => i.scan) });
    } catch (err) {
      throw new Later(0); // no network
    }
    if (res.status === 401 || res.status === 403) throw new Later(60000, T.login_again);
    if (transient(res.status)) throw new Later(retryAfter(res));
    if (res.status !== 200) return sendOneByOne(items); // the batch as a whole was refused
    const body = await res.json();
    const byId = new Map(items.map((i) => [i.client_id, i]));
    const done = [];
    const kept = []; // typed-in visitors refused: they stay on the phone to be corrected
    let signedOut = false;
    (body.results || []).forEach((r) => {
      const item = byId.get(r.client_id);
      if (!item) return;
      if (r.status === 200 || r.status === 201) {
        showCheckin(item, r.checkin, r.status === 200);
        done.push(item.client_id);
      } else if (r.status === 401) {
        signedOut = true; // the session ended: the same scan succeeds after logging in again
      } else if (r.status >= 400 && r.status < 500 && !transient(r.status)) {
        if (item.scan.person) {
          kept.push([item, detailText(r.detail) || r.code]);
        } else {
          setRow(item, "failed", detailText(r.detail) || r.code);
          done.push(item.client_id);
        }
      }
    });
    for (const [refused, detail] of kept) await keepRefused(refused, detail);
    await finish(done);
    done.push(...kept.map(([refused]) => refused.client_id));
    if (!done.length) throw signedOut ? new Later(60000, T.login_again) : new Later(0);
    return done.length;
  }

  // Fallback when the server refuses a whole batch (one malformed item must not block the
  // others forever): the single endpoint tells which item is wrong.
  async function sendOneByOne(items) {
    const done = [];
    let sent = 0; // refused and kept to be corrected
    for (const item of items) {
      let res;
      try {
        res = await post(cfg.singleUrl, item.scan);
      } catch (err) {
        break;
      }
      if (transient(res.status) || res.status === 401 || res.status === 403) break;
      const body = await res.json().catch(() => ({}));
      if (res.status === 200 || res.status === 201) {
        showCheckin(item, body.checkin || body, res.status === 200);
        done.push(item.client_id);
      } else if (item.scan.person) {
        await keepRefused(item, detailText(body.detail) || body.code || String(res.status));
        sent += 1;
      } else {
        setRow(item, "failed", detailText(body.detail) || body.code || String(res.status));
        done.push(item.client_id);
      }
    }
    await finish(done);
    if (!done.length && !sent) throw new Later(0);
    return done.length + sent;
  }

  async function sync() {
    if (!store) return;
    if (syncing) { again = true; return; }
    if (navigator.onLine === false) return; // the "online" event starts us again
    syncing = true;
    clearTimeout(retryTimer);
    retryTimer = null;
    try {
      // Oldest first: the server toggles in/out in the order it receives a person's scans.
      for (;;) {
        const items = (await store.all()).filter((i) => !i.refused).sort((a, b) => (a.scan.at < b.scan.at ? -1 : a.scan.at > b.scan.at ? 1 : a.n - b.n));
        if (!items.length) break;
        items.slice(0, CHUNK).forEach((i) => setRow(i, "waiting", T.sending));
        await sendChunk(items.slice(0, CHUNK));
      }
      backoff = 0;
      note("");
    } catch (err) {
      if (!(err instanceof Later)) console.error(err);
      backoff = Math.min(backoff ? backoff * 2 : 2000, 60000);
      const wait = Math.max(err.ms || 0, backoff);
      (await store.all()).filter((i) => !i.refused).forEach((i) => setRow(i, "waiting", T.waiting));
      if (err.why) note(err.why);
      else if (navigator.onLine !== false) note(T.retry_in.replace("%(seconds)s", Math.round(wait / 1000)));
      retryTimer = setTimeout(sync, wait);
    } finally {
      syncing = false;
      await refreshCount();
      if (again && !retryTimer) setTimeout(sync, 0);
      again = false;
    }
  }

  // ---- recording a scan ----
  let seq = 0;

  function direction() {
    const checked = root.querySelector("input[name=direction]:checked");
    return checked ? checked.value : "";
  }

  // `fixing`: the refused item this one corrects; it keeps that scan's time and direction.
  async function record(fields, label, fixing) {
    await storeReady;
    const scan = Object.assign(
      { client_id: uuid4(), venue: cfg.venue, at: new Date().toISOString(), source_app: "scanner" },
      fields
    );
    if (direction()) scan.direction = direction();
    if (fixing) {
      scan.at = fixing.scan.at;
      if (fixing.scan.direction) scan.direction = fixing.scan.direction;
      else delete scan.direction;
    }
    const item = { client_id: scan.client_id, scan: scan, label: label, n: Date.now() * 1000 + (seq++ % 1000) };
    await store.put(item); // on the phone first; only then is it shown and sent
    if (fixing) {
      await store.remove([fixing.client_id]);
      const old = rows.get(fixing.client_id);
      if (old) { old.remove(); rows.delete(fixing.client_id); }
    }
    setRow(item, "waiting", T.waiting, true);
    await refreshCount();
    sync();
  }

  // ---- the camera ----
  const video = $("preview");
  const camButton = $("camera-toggle");
  const camNote = (text) => { $("camera-note").textContent = text; };
  const seen = new Map(); // text -> last time the camera read it
  // A poster's QR is a URL ending in /c/<payload>; ID-card QRs are "|"-separated text that
  // may hold "/c/" in an address, so the whole text must look like a URL.
  const POSTER = /^https?:\/\/[^\s|]+\/c\/[^\s|/]+$/i;
  let detector = null;
  let stream = null;
  let timer = null;

  function cameraUsable() {
    return window.isSecureContext && navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src;
      s.onload = resolve;
      s.onerror = () => reject(new Error("cannot load " + src));
      document.head.appendChild(s);
    });
  }

  async function makeDetector() {
    if ("BarcodeDetector" in window) {
      const formats = await window.BarcodeDetector.getSupportedFormats();
      if (formats.indexOf("qr_code") >= 0) return new window.BarcodeDetector({ formats: ["qr_code"] });
    }
    await loadScript(cfg.polyfillUrl);
    const api = window.BarcodeDetectionAPI;
    const wasm = new URL(cfg.wasmUrl, location.href).href;
    // Our own copy of the wasm instead of the polyfill's default (jsDelivr), fetched and
    // compiled now (fireImmediately) so that the camera still reads codes once offline.
    await api.prepareZXingModule({
      overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasm : prefix + path) },
      fireImmediately: true,
    });
    return new api.BarcodeDetector({ formats: ["qr_code"] });
  }

  function onText(text) {
    const now = Date.now();
    const last = seen.get(text);
    seen.set(text, now);
    // A code held in front of the camera is read several times a second: one scan until it
    // has been out of sight for cfg.repeatMs.
    if (last && now - last < cfg.repeatMs) return;
    seen.forEach((t, key) => { if (now - t > cfg.repeatMs) seen.delete(key); });
    if (navigator.vibrate) navigator.vibrate(60);
    if (POSTER.test(text)) {
      // A checkpoint poster (a vehicle's, another post's): the pass is recorded there.
      record({ venue: text }, T.poster);
    } else {
      record({ person_qr: text }, T.personal_qr);
    }
  }

  async function tick() {
    timer = null;
    if (!stream) return;
    if (detector && video.readyState >= 2 && !document.hidden) {
      try {
        const codes = await detector.detect(video);
        if (codes.length && stream) onText(codes[0].rawValue);
      } catch (err) {
        // an unreadable frame: try the next one
      }
    }
    // ~4 reads a second is enough for people walking past and spares a cheap phone's battery.
    if (stream) timer = setTimeout(tick, 250);
  }

  async function startCamera() {
    camButton.disabled = true; // one stream, however often it is tapped
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 640 }, height: { ideal: 480 } },
      });
    } catch (err) {
      camNote(T.camera_error.replace("%(reason)s", err.name || err.message));
      return;
    } finally {
      camButton.disabled = false;
    }
    video.srcObject = stream;
    video.hidden = false;
    video.play().catch(() => {});
    camButton.textContent = T.camera_off;
    pref("camera", "on");
    root.dataset.camera = "on";
    tick();
  }

  function stopCamera() {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    clearTimeout(timer);
    video.srcObject = null;
    video.hidden = true;
    camButton.textContent = T.camera_on;
    pref("camera", "off");
    root.dataset.camera = "off";
  }

  // ---- the typed-in visitor ----
  const form = $("manual");

  function fieldError(name, text) {
    const p = $("m-" + name + "-error");
    p.textContent = text || "";
    p.hidden = !text;
    form.querySelector("[name=" + (name === "name" ? "full_name" : name) + "]").setAttribute("aria-invalid", text ? "true" : "false");
  }

  // The shapes of a Vietnamese number (mobile 0[35789]x xxx xxxx, landline 02xx xxx xxxx),
  // with +84 or 84 for the 0: a first check on the phone, so a typo is caught while the visitor
  // still stands there; the server's check (phonenumbers) is the one that decides.
  const PHONE = /^(?:\+?84|0)(?:[35789]\d{8}|2\d{9})$/;

  function phoneProblem(phone) {
    if (!phone) return T.phone_required;
    return PHONE.test(phone.replace(/[\s.\-()]/g, "")) ? "" : T.phone_invalid.replace("%(value)s", phone);
  }

  let fixing = null; // the refused item the form is correcting

  function startFix(item) {
    fixing = item;
    const person = item.scan.person || {};
    form.full_name.value = person.full_name || "";
    form.phone.value = person.phone || "";
    form.id_number.value = person.id_number || "";
    fieldError("phone", item.refused);
    form.scrollIntoView({ block: "center" });
    form.phone.focus();
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const name = form.full_name.value.trim();
    const phone = form.phone.value.trim();
    const idNumber = form.id_number.value.trim();
    const problem = phoneProblem(phone);
    fieldError("name", name ? "" : T.name_required);
    fieldError("phone", problem);
    if (!name) return form.full_name.focus();
    if (problem) return form.phone.focus(); // what was typed stays, with the message beside it
    const person = { full_name: name, phone: phone };
    if (idNumber) person.id_number = idNumber;
    const corrected = fixing;
    fixing = null;
    form.reset();
    await record({ person: person }, name, corrected);
    form.full_name.focus();
  });

  // ---- start ----
  function showNet() {
    const online = navigator.onLine !== false;
    const net = $("net");
    net.textContent = online ? T.online : T.offline;
    net.className = "net " + (online ? "online" : "offline");
    if (!online) note("");
  }

  window.addEventListener("online", () => { showNet(); backoff = 0; sync(); });
  window.addEventListener("offline", showNet);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) sync(); });
  $("send-now").addEventListener("click", () => { backoff = 0; sync(); });
  showNet();

  // Remember the chosen direction: a post usually only checks people in, or only out.
  const savedDir = pref("direction");
  root.querySelectorAll("input[name=direction]").forEach((r) => {
    if (savedDir !== null && r.value === savedDir) r.checked = true;
    r.addEventListener("change", () => pref("direction", direction()));
  });

  let recent = null;

  // The latest answers of the day, as they were shown, below what still waits.
  async function showRecent() {
    const since = Date.now() - RECENT_HOURS * 3600 * 1000;
    const kept = (await recent.all()).sort((a, b) => a.kept - b.kept);
    const old = kept.filter((r) => r.kept < since || kept.indexOf(r) < kept.length - MAX_ROWS);
    if (old.length) await recent.remove(old.map((r) => r.client_id));
    kept.filter((r) => !old.includes(r)).forEach((r) => {
      const item = { client_id: r.client_id, scan: { at: r.at }, label: r.who };
      setRow(item, r.state, r.text, true);
      row(item).querySelector(".dir").textContent = r.dir;
    });
  }

  const storeReady = openDb()
    .then(async (db) => {
      recent = idbStore(db, RECENT);
      await showRecent();
      return idbStore(db, STORE);
    })
    .catch(() => { note(T.storage_error); return memoryStore(); })
    .then(async (s) => {
      store = s;
      (await store.all()).sort((a, b) => a.n - b.n).forEach((i) => (i.refused ? showRefused(i) : setRow(i, "waiting", T.waiting, true)));
      await refreshCount();
      root.dataset.ready = "1";
      sync();
    });

  // Keep this page and its files for opening it offline (scanner-sw.js); the worker is told
  // what to keep, since it starts after they were loaded.
  if ("serviceWorker" in navigator && cfg.workerUrl) {
    navigator.serviceWorker.register(cfg.workerUrl, { scope: cfg.workerScope }).then(() => navigator.serviceWorker.ready).then((reg) => {
      const files = [location.href.split("#")[0], cfg.polyfillUrl, cfg.wasmUrl];
      document.querySelectorAll("script[src], link[rel=stylesheet][href]").forEach((el) => files.push(el.src || el.href));
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { root.dataset.offline = "ready"; };
      reg.active.postMessage({ keep: files }, [channel.port2]);
    }).catch((err) => console.error(err));
  }

  if (!cameraUsable()) {
    camNote(T.camera_insecure);
    camButton.hidden = true;
    root.dataset.detector = "none";
    return;
  }
  camButton.textContent = T.camera_on;
  camButton.addEventListener("click", () => (stream ? stopCamera() : startCamera()));
  camNote(T.detector_loading);
  root.dataset.detector = "loading";
  makeDetector().then(
    (d) => {
      detector = d;
      root.dataset.detector = "ready";
      camNote(T.detector_ready);
    },
    (err) => {
      console.error(err);
      root.dataset.detector = "error";
      camNote(T.detector_error);
    }
  );
  // Staff who turned the camera on last time get it back at once.
  if (pref("camera") === "on") startCamera();
})();
