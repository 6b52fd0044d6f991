// Client side of the status page. Runs after render.ts's functions (esc, fmtTime, cameraInfo, ...),
// which the server puts in front of this script: the same markup code on both sides.
const tz = document.body.dataset.tz;
const POLL_MS = 5000;
const $ = (id) => document.getElementById(id);
let lastOk = Date.now();

async function refresh() {
  try {
    const response = await fetch("/api/cameras", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    apply(await response.json());
    lastOk = Date.now();
    $("offline").hidden = true;
  } catch {
    $("offline-since").textContent = new Date(lastOk).toLocaleTimeString("en-GB", { timeZone: tz });
    $("offline").hidden = false;
  } finally {
    setTimeout(refresh, POLL_MS);
  }
}

// Only what changed is replaced: a screen reader does not hear the same summary every 5 s.
const rendered = new WeakMap();
function set(element, html) {
  if (rendered.get(element) === html) return;
  rendered.set(element, html);
  element.innerHTML = html;
}

function apply(model) {
  document.title = pageTitle(model);
  set($("summary"), summary(model));
  set($("service"), serviceSection(model.service, tz));
  for (const c of model.cameras) {
    const card = $(`cam-${c.id}`);
    if (!card) continue;
    card.className = `cam lvl-${c.level}`;
    set(card.querySelector(".info"), cameraInfo(c, tz));
    const timeline = card.querySelector(".timeline");
    // Not under a keyboard user's focus: replacing the track would drop it.
    if (!timeline.contains(document.activeElement)) set(timeline, cameraTimeline(c, tz));
    const thumb = card.querySelector(".thumb");
    const src = c.thumbnail ?? "";
    if (thumb.dataset.src !== src) {
      thumb.dataset.src = src;
      if (!src) thumb.innerHTML = cameraThumb(c);
      else {
        // Swap only once the new picture is loaded: no blank frame in between.
        const next = new Image();
        next.onload = () => thumb.dataset.src === src && (thumb.innerHTML = cameraThumb(c));
        next.src = src;
      }
    }
  }
}

function timeAt(track, clientX) {
  const box = track.getBoundingClientRect();
  const x = Math.min(Math.max(clientX - box.left, 0), box.width);
  const from = Number(track.dataset.from);
  const to = Number(track.dataset.to);
  return { ms: from + (x / box.width) * (to - from), x, width: box.width };
}

const spansOf = (track) => JSON.parse(track.dataset.spans);

function hover(event) {
  const track = event.target.closest?.(".track");
  for (const cursor of document.querySelectorAll(".cursor")) if (!track || !track.contains(cursor)) cursor.hidden = true;
  if (!track) return;
  const { ms, x, width } = timeAt(track, event.clientX);
  const recorded = spansOf(track).some(([a, z]) => ms >= a && ms < z);
  const cursor = track.querySelector(".cursor");
  cursor.hidden = false;
  cursor.style.left = `${x}px`;
  cursor.classList.toggle("flip", x > width - 140);
  cursor.innerHTML = `<span>${fmtTime(new Date(ms).toISOString(), tz, true)} · ${recorded ? "recorded" : "no recording"}</span>`;
}

function play(track, ms) {
  const spans = spansOf(track);
  const span = spans.find(([, z]) => z > ms);
  const name = track.closest(".cam").querySelector("h2").firstChild.textContent.trim();
  $("player").hidden = false;
  const video = $("video");
  if (!span) {
    $("player-title").textContent = `${name}: nothing recorded after ${fmtTime(new Date(ms).toISOString(), tz)}`;
    video.removeAttribute("src");
    return;
  }
  const from = Math.max(ms, span[0]);
  const to = Math.min(span[1], from + 3600_000);
  const iso = (t) => new Date(t).toISOString();
  $("player-title").textContent = `${name} from ${fmtTime(iso(from), tz, true)}`;
  $("player-msg").textContent = "";
  video.src = `/api/clip.mp4?camera=${encodeURIComponent(track.dataset.camera)}&from=${iso(from)}&to=${iso(to)}`;
  video.play().catch(() => {});
  $("player").scrollIntoView({ block: "nearest" });
}

$("cameras").addEventListener("mousemove", hover);
$("cameras").addEventListener("mouseleave", () => document.querySelectorAll(".cursor").forEach((c) => (c.hidden = true)));
$("cameras").addEventListener("click", (event) => {
  const track = event.target.closest(".track");
  if (track) play(track, timeAt(track, event.clientX).ms);
});
// Keyboard: Enter on a timeline plays its last minute.
$("cameras").addEventListener("keydown", (event) => {
  const track = event.target.closest?.(".track");
  if (!track || event.key !== "Enter") return;
  const last = spansOf(track).at(-1);
  if (last) play(track, Math.max(last[0], last[1] - 60_000));
});
$("video").addEventListener("error", () => ($("player-msg").textContent = "This range could not be played (no recording, or the clip service is busy: try again)."));
$("player-close").addEventListener("click", () => {
  $("video").pause();
  $("video").removeAttribute("src");
  $("player").hidden = true;
});
setTimeout(refresh, POLL_MS);
