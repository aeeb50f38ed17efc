// The benchmark's peer: a minimal Node.js handler doing what the seeds' own Next.js designs
// would, with supabase-js: verify the learner's HS256 token, call the same SQL function, answer
// its JSON. One process per core (node:cluster), like gunicorn's two workers.
import cluster from "node:cluster";
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import { createClient } from "@supabase/supabase-js";

const { SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY, SUPABASE_JWT_SECRET, PEER_PORT = "5100", PEER_WORKERS = "2" } = process.env;

if (cluster.isPrimary) {
  for (let i = 0; i < Number(PEER_WORKERS); i++) cluster.fork();
} else {
  // Realtime is never used here; Node 20 has no native WebSocket for it to find.
  const supabase = createClient(SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY, {
    auth: { persistSession: false },
    realtime: { transport: class NoWebSocket {} },
  });

  function learnerFrom(req) {
    const [header, payload, signature] = (req.headers.authorization ?? "").replace(/^Bearer /, "").split(".");
    const expected = createHmac("sha256", SUPABASE_JWT_SECRET).update(`${header}.${payload}`).digest("base64url");
    if (!signature || signature.length !== expected.length || !timingSafeEqual(Buffer.from(signature), Buffer.from(expected))) return null;
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    return claims.aud === "authenticated" && claims.exp > Date.now() / 1000 ? claims.sub : null;
  }

  const routes = {
    "POST /mark": (learner, body) => ["mark_lesson_complete", { p_learner_id: learner, p_learner_kind: "account", p_lesson_id: body.lessonId }],
    "POST /unmark": (learner, body) => ["unmark_lesson_complete", { p_learner_id: learner, p_learner_kind: "account", p_lesson_id: body.lessonId }],
    "POST /save": (learner, body) => ["save_progress_document", { p_learner_id: learner, p_learner_kind: "account", p_course_id: body.courseId, p_progress: body.progress, p_device_id: body.deviceId }],
    "GET /summary": (learner) => ["progress_summary", { p_learner_id: learner }],
    "POST /chapter": (learner, body) => ["record_chapter", { p_learner_id: learner, p_learner_kind: "account", p_tutorial_id: body.tutorialId, p_chapter_id: body.chapterId, p_watch_time: body.watchTime }],
    "POST /lesson-progress": (learner, body) => ["record_lesson_progress", { p_learner_id: learner, p_learner_kind: "account", p_lesson_id: body.lessonId, p_completion_percentage: body.completionPercentage, p_time_spent: body.timeSpent }],
    "GET /course-summary": (learner, body, url) => ["course_summary", { p_learner_id: learner, p_course_id: url.searchParams.get("courseId") }],
    "GET /document": (learner, body, url, req) => ["get_progress_document", { p_learner_id: learner, p_course_id: url.searchParams.get("courseId"), p_known_version: (req.headers["if-none-match"] || "").replaceAll('"', "") || null }],
  };

  http.createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk) => { raw += chunk; });
    req.on("end", async () => {
      const url = new URL(req.url, "http://peer");
      const route = routes[`${req.method} ${url.pathname}`];
      const learner = learnerFrom(req);
      if (!route || !learner) { res.writeHead(route ? 401 : 404).end(); return; }
      const [fn, args] = route(learner, raw ? JSON.parse(raw) : {}, url, req);
      const { data, error } = await supabase.rpc(fn, args, { get: req.method === "GET" });
      if (data && data.version) {  // a conditional read: 304 with the ETag when unchanged
        res.setHeader("ETag", `"${data.version}"`);
        if (data.notModified) { res.writeHead(304).end(); return; }
      }
      res.writeHead(error ? 500 : 200, { "Content-Type": "application/json" }).end(JSON.stringify(error ?? data));
    });
  }).listen(Number(PEER_PORT), "127.0.0.1");
}
