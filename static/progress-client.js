// progress-client.js: a dependency-free ES module that records a learner's progress locally
// first and syncs it with the learner-progress API in the background.
//
//   import { createProgressClient } from "/static/progress-client.js";
//   const progress = createProgressClient({ courseId });
//   progress.onChange((state) => render(state));
//   progress.markComplete(lessonId); progress.unmark(lessonId); progress.addTime(lessonId, 30);
//   progress.progress()  // {completedLessonIds, lessonTimes, timeSpentSeconds, lastLessonId, pending}
//
// Everything is kept in localStorage (the anonymous learner id and token, this device's id and
// every unsynced change), so changes made offline survive a reload and are sent once online.
// Saves carry per-lesson completion and unmark times and this device's own time counters, so the
// server's merge converges whatever order devices sync in.

const KEY = "learner-progress";

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
  maxBackoffMs = 60000,
} = {}) {
  if (!courseId) throw new Error("createProgressClient needs a courseId");

  const load = (name, fallback) => {
    const raw = storage.getItem(`${KEY}.${name}`);
    return raw === null ? fallback : JSON.parse(raw);
  };
  const store = (name, value) => storage.setItem(`${KEY}.${name}`, JSON.stringify(value));

  const identity = load("identity", { learnerId: uuid(), token: null });
  store("identity", identity);
  const deviceId = load("device", uuid());
  store("device", deviceId);

  // Local state of this course: events not yet acknowledged, this device's counters, and the
  // last document the server returned.
  const docName = `course.${courseId}`;
  const state = load(docName, {
    completedAt: {}, unmarkedAt: {}, times: {}, syncedTimes: {},
    lastLessonId: null, lastLessonAt: null, server: null, revision: 0, syncedRevision: 0,
  });
  const listeners = new Set();
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
      online: globalThis.navigator?.onLine ?? true,
    };
  }

  async function request(method, path, body) {
    if (!identity.token) await register();
    const response = await fetchImpl(`${baseUrl}${path}`, {
      method,
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${identity.token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return response;
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

  async function sync() {
    if (inFlight) return inFlight;
    if (state.revision === state.syncedRevision) return view();
    const revision = state.revision;
    const times = { ...state.times };
    const sentCompleted = { ...state.completedAt };
    const sentUnmarked = { ...state.unmarkedAt };
    const payload = {
      courseId,
      deviceId,
      clientUpdatedAt: state.lastLessonAt ?? now(),
      progress: {
        version: 2,
        completedLessonIds: Object.keys(sentCompleted),
        completedAt: sentCompleted,
        unmarkedAt: sentUnmarked,
        lessonTimes: times,
        lastLessonId: state.lastLessonId,
      },
    };
    inFlight = (async () => {
      try {
        const response = await request("POST", "/api/progress/save", payload);
        if (response.status >= 500 || response.status === 429 || response.status === 401) {
          if (response.status === 401) identity.token = null;
          throw new Error(`save failed: ${response.status}`);
        }
        const body = await response.json();
        if (response.ok) state.server = body.progress;
        // Merged by the server (or refused for good: a 4xx does not get better by retrying):
        // forget what was sent, unless it changed while the save was in flight.
        state.syncedTimes = times;
        for (const [lesson, at] of Object.entries(sentCompleted)) {
          if (state.completedAt[lesson] === at) delete state.completedAt[lesson];
        }
        for (const [lesson, at] of Object.entries(sentUnmarked)) {
          if (state.unmarkedAt[lesson] === at) delete state.unmarkedAt[lesson];
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

  async function hydrate() {
    const response = await request("GET", `/api/progress?courseId=${encodeURIComponent(courseId)}`);
    if (response.ok || response.status === 404) {
      state.server = (await response.json()).progress;
      save();
    }
    return view();
  }

  globalThis.addEventListener?.("online", () => sync().catch(() => {}));
  const interval = setInterval(() => sync().catch(() => {}), syncIntervalMs);
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
      change(() => { state.times[lessonId] = (state.times[lessonId] ?? 0) + Math.round(seconds); });
    },
    open(lessonId) {
      change(() => { state.lastLessonId = lessonId; state.lastLessonAt = now(); });
    },
    progress: view,
    onChange(listener) { listeners.add(listener); return () => listeners.delete(listener); },
    sync,
    hydrate,
    stop() { clearInterval(interval); clearTimeout(timer); },
    get learnerId() { return identity.learnerId; },
    get token() { return identity.token; },
  };
}
