// insights.js: the instructor dashboard. Reads the course's insight JSON with the instructor's
// bearer token (kept in sessionStorage for the tab) and draws each section as SVG.

const TOKEN = "learner-progress.insights-token";
const SVG = "http://www.w3.org/2000/svg";

function svg(width, height) {
  const root = document.createElementNS(SVG, "svg");
  root.setAttribute("width", width);
  root.setAttribute("height", height);
  root.setAttribute("viewBox", `0 0 ${width} ${height}`);
  return root;
}

function shape(parent, name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  parent.appendChild(node);
  return node;
}

// Horizontal bars: [{label, value, alert}], one row each, scaled to the largest.
function bars(rows, { width = 640, labelWidth = 220 } = {}) {
  const height = 22 * rows.length + 4;
  const root = svg(width, height);
  const most = Math.max(1, ...rows.map((row) => row.value));
  rows.forEach((row, index) => {
    const y = 22 * index + 2;
    shape(root, "text", { x: 0, y: y + 14 }, row.label.slice(0, 34));
    const length = Math.max(1, ((width - labelWidth - 50) * row.value) / most);
    shape(root, "rect", { x: labelWidth, y, width: length, height: 16, class: row.alert ? "bar alert" : "bar",
                          "data-point": row.value });
    shape(root, "text", { x: labelWidth + length + 4, y: y + 13 }, String(row.value));
  });
  return root;
}

function histogram(counts, title) {
  const width = 220, height = 110, root = svg(width, height + 30);
  const most = Math.max(1, ...counts);
  counts.forEach((count, bucket) => {
    const barHeight = (height * count) / most;
    shape(root, "rect", { x: bucket * 21, y: height - barHeight, width: 18, height: barHeight, class: "bar",
                          "data-point": count });
  });
  shape(root, "text", { x: 0, y: height + 14 }, "0");
  shape(root, "text", { x: width - 40, y: height + 14 }, "100 %");
  shape(root, "text", { x: 0, y: height + 28 }, title.slice(0, 34));
  return root;
}

// One polyline per cohort: share completed (0..1) by weeks since enrollment.
function curves(cohorts) {
  const width = 640, height = 200, weeks = Math.max(2, ...cohorts.map((c) => c.completedShareByWeek.length));
  const root = svg(width, height + 20 + 14 * Math.floor((cohorts.length - 1) / 6));
  const colors = ["#2f7d4f", "#2f5d7d", "#c0573e", "#8a5a00", "#6b3f8a", "#3f7d7a"];
  cohorts.forEach((cohort, index) => {
    const points = cohort.completedShareByWeek.map((share, week) =>
      `${(week * (width - 20)) / (weeks - 1) + 10},${height - share * (height - 10)}`);
    shape(root, "polyline", { points: points.join(" "), class: "line", stroke: colors[index % colors.length],
                              "data-point": cohort.learners });
    shape(root, "text", { x: 10 + 105 * (index % 6), y: height + 16 + 14 * Math.floor(index / 6), fill: colors[index % colors.length] },
          `${cohort.week} (${cohort.learners})`);
  });
  return root;
}

async function load(courseId, token) {
  const headers = { Authorization: `Bearer ${token}` };
  const [figures, nudges] = await Promise.all([
    fetch(`/api/insights/courses/${courseId}`, { headers }),
    fetch(`/api/insights/courses/${courseId}/nudges`, { headers }),
  ]);
  if (!figures.ok) throw new Error((await figures.json()).error);
  return { figures: await figures.json(), nudges: (await nudges.json()).learners };
}

function draw({ figures, nudges }, courseId, token) {
  document.getElementById("title").textContent = `${figures.course.title}: insight`;
  document.getElementById("as-of").textContent = `As of ${figures.asOf}; inactive means ${figures.inactiveDays} days without activity.`;
  const funnel = figures.funnel;
  document.getElementById("funnel").replaceChildren(bars([
    { label: "Enrolled", value: funnel.enrolled }, { label: "Started", value: funnel.started },
    ...funnel.modules.map((m) => ({ label: `Reached ${m.title}`, value: m.reached })),
    { label: "Completed", value: funnel.completed },
  ]));
  document.getElementById("drop-off").replaceChildren(bars(
    figures.lessons.map((l) => ({ label: l.title, value: l.dropOff, alert: l.dropOff > 0 }))));
  document.getElementById("quizzes").replaceChildren(...figures.quizzes.map((q) => histogram(q.histogram, q.title)));
  document.getElementById("cohorts").replaceChildren(curves(figures.cohorts));
  document.getElementById("activity").replaceChildren(bars(
    figures.activity.filter((d) => d.activeLearners > 0).slice(-14).map((d) => ({ label: d.day, value: d.activeLearners }))));
  document.querySelector("#nudges tbody").replaceChildren(...nudges.map((n) => {
    const row = document.createElement("tr");
    for (const value of [n.learner, `${n.progress_percentage} %`, n.last_lesson ?? "", n.last_activity.slice(0, 10), n.inactive_days]) {
      const cell = document.createElement("td");
      cell.textContent = value;
      row.appendChild(cell);
    }
    return row;
  }));
  document.getElementById("csv").onclick = async (event) => {
    event.preventDefault();
    const response = await fetch(`/api/insights/courses/${courseId}/nudges.csv`, { headers: { Authorization: `Bearer ${token}` } });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = `nudges-${courseId}.csv`;
    link.click();
  };
  document.getElementById("figures").hidden = false;
  document.body.dataset.drawn = "true";
}

export async function showInsights(courseId) {
  const form = document.getElementById("signin");
  const show = async (token) => {
    try {
      draw(await load(courseId, token), courseId, token);
      sessionStorage.setItem(TOKEN, token);
      form.hidden = true;
    } catch (error) {
      document.getElementById("error").textContent = error.message;
      form.hidden = false;
    }
  };
  form.addEventListener("submit", (event) => { event.preventDefault(); show(document.getElementById("token").value); });
  const token = sessionStorage.getItem(TOKEN);
  if (token) await show(token); else form.hidden = false;
}
