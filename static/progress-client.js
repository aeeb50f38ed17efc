// progress-client.js: a dependency-free ES module that records a learner's progress locally
// first and syncs it with the learner-progress API in the background.
//
//   import { createProgressClient } from "/static/progress-client.js";
//   const progress = createProgressClient({ courseId });            // baseUrl: "https://api..." from another origin
//   progress.onChange((state) => render(state));
//   progress.onRejected((parts) => tell(parts));                     // [{lessonId, field, reason}]
//   progress.markComplete(lessonId); progress.unmark(lessonId); progress.addTime(lessonId, 30);
//   progress.progress()  // {completedLessonIds, lessonTimes, timeSpentSeconds, lastLessonId, pending, rejected}
//   progress.acknowledge()                                           // the page has told the learner
//   progress.signIn(accessToken)                                     // claim into a Supabase account
//   progress.eraseMyData()                                           // erase it all, and forget the learner here
//
// Everything is kept in localStorage (the anonymous learner id and token, this device's id and
// every unsynced change), so changes made offline survive a reload and are sent once online.
// Saves carry per-lesson completion and unmark times and this device's own time counters, so the
// server's merge converges whatever order devices sync in.
//
// The rule: a learner's change leaves this device only when the server confirmed it applied it,
// or named it as rejected. A save's answer names each part it did not apply (`rejected`: an
// unknown or unpublished lesson, time over a limit); a save refused whole (a 4xx that retrying
// cannot mend) rejects every part it carried, with the error's code. Rejected parts are reported
// to `onRejected` and kept in localStorage, in `progress().rejected`, until the page calls
// `acknowledge()`. Everything else (no network, 5xx, 429, 409 request in progress, an expired
// token) is retried with backoff, and nothing is dropped.
//
// Other devices' changes arrive by polling: every `pollIntervalMs` a conditional read
// (If-None-Match) costs one small request, answered 304 while nothing changed.

const KEY = "learner-progress";
const TRANSIENT = new Set([401, 408, 425, 429]);

function uuid() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
    (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
}

export function createProgressClient({
  courseId,
  baseUrl = "",
  storage = globalThis.localStorage,
  fetchImpl = (...args) => globalThis.fetch(...args),
  syncIntervalMs = 10000,
  pollIntervalMs = 5000,
  maxBackoffMs = 60000,
} = {}) {
  if (!courseId) throw new Error("createProgressClient needs a courseId");

  const load = (name, fallback) => {
    const raw = storage.getItem(`${KEY}.${name}`);
    return raw === null ? fallback : JSON.parse(raw);
  };
  const store = (name, value) => storage.setItem(`${KEY}.${name}`, JSON.stringify(value));

  // token: the anonymous learner's; accountToken, once signed in: every request uses it instead.
  const identity = load("identity", { learnerId: uuid(), token: null, accountToken: null });
  store("identity", identity);
  const deviceId = load("device", uuid());
  store("device", deviceId);

  // Local state of this course: changes not yet acknowledged, this device's counters, the last
  // document the server returned (and its ETag), and the parts the server rejected.
  const docName = `course.${courseId}`;
  const state = {
    completedAt: {}, unmarkedAt: {}, times: {}, syncedTimes: {},
    lastLessonId: null, lastLessonAt: null, server: null, etag: null, revision: 0, syncedRevision: 0,
    rejected: [],
    ...load(docName, {}),
  };
  const listeners = new Set();
  const rejectionListeners = new Set();
  let backoff = 1000;
  let timer = null;
  let inFlight = null;

  const now = () => new Date().toISOString();
  const save = () => { store(docName, state); listeners.forEach((fn) => fn(view())); };
  const change = (mutate) => { mutate(); state.revision += 1; save(); schedule(0); };

  function isCompleted(lessonId) {
    const server = state.server?.completedAt?.[lessonId] ?? null;
    const done = [state.completedAt[lessonId], server].filter(Boolean).sort().pop();
    const undone = state.unmarkedAt[lessonId];
    return Boolean(done) && (!undone || done >= undone);
  }

  function view() {
    const ids = new Set([...(state.server?.completedLessonIds ?? []), ...Object.keys(state.completedAt),
      ...Object.keys(state.unmarkedAt)]);
    const lessonTimes = { ...(state.server?.lessonTimes ?? {}) };
    for (const [lesson, seconds] of Object.entries(state.times)) {
      const unsynced = seconds - (state.syncedTimes[lesson] ?? 0);
      if (unsynced > 0) lessonTimes[lesson] = (lessonTimes[lesson] ?? 0) + unsynced;
    }
    return {
      learnerId: identity.learnerId,
      completedLessonIds: [...ids].filter(isCompleted),
      lessonTimes,
      timeSpentSeconds: Object.values(lessonTimes).reduce((a, b) => a + b, 0),
      lastLessonId: state.lastLessonId ?? state.server?.lastLessonId ?? null,
      pending: state.revision !== state.syncedRevision,
      rejected: state.rejected.map((part) => ({ ...part })),
      online: globalThis.navigator?.onLine ?? true,
    };
  }

  async function request(method, path, body, headers = {}) {
    if (!identity.accountToken && !identity.token) await register();
    return fetchImpl(`${baseUrl}${path}`, {
      method,
      headers: {
        "Content-Type": "application/json",
        Authorization: `Bearer ${identity.accountToken ?? identity.token}`,
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async function register() {
    const response = await fetchImpl(`${baseUrl}/api/learners`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ userId: identity.learnerId }),
    });
    if (response.status === 409) {
      // The id was registered by a token this browser lost: start afresh as a new learner.
      identity.learnerId = uuid();
      store("identity", identity);
      return register();
    }
    if (!response.ok) throw new Error(`registration failed: ${response.status}`);
    identity.token = (await response.json()).token;
    store("identity", identity);
  }

  // Whether a failed save may succeed later unchanged (then nothing is dropped and it is retried).
  function transient(response, body) {
    if (response.status >= 500 || TRANSIENT.has(response.status)) return body?.code !== "account_deleted";
    return response.status === 409 && body?.code === "request_in_progress";
  }

  // This learner was claimed into an account: by another tab of this browser (its account token
  // is in localStorage: go on as the account), or elsewhere (nothing can be written here).
  function switchToClaimingAccount() {
    const stored = load("identity", identity);
    if (!stored.accountToken) return false;
    Object.assign(identity, stored);
    return true;
  }

  function reject(parts) {
    if (!parts.length) return;
    state.rejected.push(...parts.map((part) => ({ ...part, at: now() })));
    rejectionListeners.forEach((fn) => fn(parts));
  }

  // Moves the parts of what was sent that the server did not apply into `state.rejected`, and
  // forgets what it applied (unless it changed again while the save was in flight).
  function settle(sent, rejectedParts) {
    const rejected = new Set(rejectedParts.map((part) => `${part.field}:${part.lessonId}`));
    const refused = (field, lesson) => rejected.has(`${field}:${lesson}`)
      || (field === "completedAt" && rejected.has(`completedLessonIds:${lesson}`));
    for (const [field, pending] of [["completedAt", state.completedAt], ["unmarkedAt", state.unmarkedAt]]) {
      for (const [lesson, at] of Object.entries(sent[field])) {
        if (pending[lesson] === at) delete pending[lesson];
      }
    }
    for (const [lesson, seconds] of Object.entries(sent.times)) {
      if (refused("lessonTimes", lesson)) {
        delete state.times[lesson];
        delete state.syncedTimes[lesson];
      } else {
        state.syncedTimes[lesson] = seconds;
      }
    }
    if (refused("lastLessonId", sent.lastLessonId) && state.lastLessonId === sent.lastLessonId) state.lastLessonId = null;
    reject(rejectedParts.map((part) => ({
      ...part,
      ...(part.field === "lessonTimes" ? { seconds: sent.times[part.lessonId] } : {}),
    })));
  }

  // Every part a save carried, as rejected parts with one reason (a save refused whole).
  function everyPart(sent, reason) {
    const parts = [
      ...Object.keys(sent.completedAt).map((lessonId) => ({ lessonId, field: "completedLessonIds", reason })),
      ...Object.keys(sent.unmarkedAt).map((lessonId) => ({ lessonId, field: "unmarkedAt", reason })),
      ...Object.entries(sent.times)
        .filter(([lesson, seconds]) => seconds !== (state.syncedTimes[lesson] ?? 0))
        .map(([lessonId]) => ({ lessonId, field: "lessonTimes", reason })),
    ];
    if (sent.lastLessonId) parts.push({ lessonId: sent.lastLessonId, field: "lastLessonId", reason });
    return parts;
  }

  async function sync() {
    if (inFlight) return inFlight;
    if (state.revision === state.syncedRevision) return view();
    const revision = state.revision;
    const sent = {
      times: { ...state.times },
      completedAt: { ...state.completedAt },
      unmarkedAt: { ...state.unmarkedAt },
      lastLessonId: state.lastLessonId,
    };
    const payload = {
      courseId,
      deviceId,
      clientUpdatedAt: state.lastLessonAt ?? now(),
      progress: {
        version: 2,
        completedLessonIds: Object.keys(sent.completedAt),
        completedAt: sent.completedAt,
        unmarkedAt: sent.unmarkedAt,
        lessonTimes: sent.times,
        lastLessonId: sent.lastLessonId,
      },
    };
    inFlight = (async () => {
      try {
        const response = await request("POST", "/api/progress/save", payload);
        const body = await response.json().catch(() => null);
        if (response.status === 401 && !identity.accountToken) identity.token = null;  // expired: register again
        if (response.status === 409 && body?.code === "learner_claimed") {
          if (switchToClaimingAccount()) throw new Error("claimed: going on as the account");
          settle(sent, everyPart(sent, "learner_claimed"));
        } else if (transient(response, body)) {
          throw new Error(`save failed: ${response.status}`);
        } else if (response.ok) {
          state.server = body.progress;
          state.etag = null;  // the saved document is newer than any copy read before
          settle(sent, body.rejected ?? []);
        } else {
          // Refused whole (malformed, a course gone, not allowed): kept, reported, not retried.
          settle(sent, everyPart(sent, body?.code ?? `http_${response.status}`));
        }
        if (state.revision === revision) state.syncedRevision = revision;
        backoff = 1000;
        save();
        return view();
      } catch (error) {
        schedule(backoff);
        backoff = Math.min(backoff * 2, maxBackoffMs);
        throw error;
      } finally {
        inFlight = null;
        if (state.revision !== state.syncedRevision) schedule(backoff);
      }
    })();
    return inFlight;
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(() => sync().catch(() => {}), delay);
  }

  // The server's document, read conditionally: 304 while nothing changed since the last read.
  async function hydrate() {
    const headers = state.etag ? { "If-None-Match": state.etag } : {};
    const response = await request("GET", `/api/progress?courseId=${encodeURIComponent(courseId)}`, undefined, headers);
    if (response.status === 401) identity.token = null;
    if (response.ok || response.status === 404) {
      state.server = (await response.json()).progress;
      state.etag = response.headers.get("ETag");
      save();
    }
    return view();
  }

  async function poll() {
    if (inFlight || state.revision !== state.syncedRevision) return;
    await hydrate();
  }

  globalThis.addEventListener?.("online", () => sync().catch(() => {}));
  const syncing = setInterval(() => sync().catch(() => {}), syncIntervalMs);
  const polling = setInterval(() => poll().catch(() => {}), pollIntervalMs);
  hydrate().catch(() => {}).finally(() => schedule(0));

  return {
    markComplete(lessonId) {
      change(() => { state.completedAt[lessonId] = now(); state.lastLessonId = lessonId; state.lastLessonAt = now(); });
    },
    unmark(lessonId) {
      change(() => { state.unmarkedAt[lessonId] = now(); });
    },
    addTime(lessonId, seconds) {
      if (!(seconds > 0)) return;
      change(() => { state.times[lessonId] = (state.times[lessonId] ?? 0) + Math.round(seconds * 1000) / 1000; });
    },
    open(lessonId) {
      change(() => { state.lastLessonId = lessonId; state.lastLessonAt = now(); });
    },
    progress: view,
    onChange(listener) { listeners.add(listener); return () => listeners.delete(listener); },
    onRejected(listener) { rejectionListeners.add(listener); return () => rejectionListeners.delete(listener); },
    // The page has shown these rejected parts to the learner (all of them when none are given).
    acknowledge(parts = null) {
      const done = parts && new Set(parts.map((part) => `${part.field}:${part.lessonId}:${part.at}`));
      state.rejected = done ? state.rejected.filter((part) => !done.has(`${part.field}:${part.lessonId}:${part.at}`)) : [];
      save();
    },
    // Claims this browser's anonymous progress into a Supabase account and goes on as the account:
    // what is queued here is then sent as the account's.
    async signIn(accessToken) {
      if (identity.token) {
        const response = await fetchImpl(`${baseUrl}/api/progress/claim`, {
          method: "POST",
          headers: { "Content-Type": "application/json", Authorization: `Bearer ${accessToken}` },
          body: JSON.stringify({ userId: identity.learnerId, token: identity.token }),
        });
        const body = await response.json().catch(() => null);
        if (!response.ok && body?.code !== "already_claimed") throw new Error(`claim failed: ${response.status}`);
      }
      identity.accountToken = accessToken;
      store("identity", identity);
      state.etag = null;
      schedule(0);
      return hydrate();
    },
    // Erases everything the service holds about this learner, then forgets them on this device
    // (their id, token and every course's local state): the next change starts a new learner.
    async eraseMyData() {
      const response = await request("DELETE", "/api/me", { confirm: identity.learnerId });
      if (!response.ok) throw new Error(`erasure failed: ${response.status}`);
      const erased = await response.json();
      clearInterval(syncing); clearInterval(polling); clearTimeout(timer);
      for (let i = storage.length - 1; i >= 0; i -= 1) {
        const name = storage.key(i);
        if (name?.startsWith(`${KEY}.`)) storage.removeItem(name);
      }
      return erased;
    },
    sync,
    hydrate,
    stop() { clearInterval(syncing); clearInterval(polling); clearTimeout(timer); },
    get learnerId() { return identity.learnerId; },
    get token() { return identity.accountToken ?? identity.token; },
  };
}
