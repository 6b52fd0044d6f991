// The status page's markup, in one place for both sides: the server renders the first page with it,
// and the browser re-renders parts from /api/cameras with the very same code, sent as the source of
// `renderKit` (Function.prototype.toString). So everything lives inside that one function: no
// imports but types, no outside names, no Node or DOM APIs.
import type { CameraStatus, ServiceStatus, StatusModel } from "../status-model.ts";

/** The page's render functions; self-contained, so its source text runs in the browser too. */
export function renderKit() {
  const GLYPH = { ok: "✓", warn: "⚠", bad: "✕" } as const;

  function esc(text: string): string {
    return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }

  function fmtAge(secs: number): string {
    if (secs < 60) return `${secs} s`;
    if (secs < 3600) return `${Math.floor(secs / 60)} min`;
    if (secs < 86400) return `${Math.floor(secs / 3600)} h ${Math.floor((secs % 3600) / 60)} min`;
    return `${Math.floor(secs / 86400)} d ${Math.floor((secs % 86400) / 3600)} h`;
  }

  // Binary multiples, as min_free_mb and part_size_mb are counted.
  function fmtBytes(n: number): string {
    const units = ["B", "KB", "MB", "GB", "TB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
    return `${i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
  }

  function fmtTime(iso: string, timeZone: string, seconds = false): string {
    return new Date(iso).toLocaleTimeString("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", second: seconds ? "2-digit" : undefined });
  }

  function pageTitle(model: StatusModel): string {
    const recording = model.cameras.filter((c) => c.status === "recording").length;
    return `${recording}/${model.cameras.length} recording · camera-recorder`;
  }

  function summary(model: StatusModel): string {
    const total = model.cameras.length;
    const recording = model.cameras.filter((c) => c.status === "recording").length;
    const attention = model.cameras.filter((c) => c.level === "bad");
    const head = `${recording} of ${total} camera${total === 1 ? "" : "s"} recording`;
    if (attention.length === 0) return esc(head);
    return `${esc(head)} · <strong>${attention.length} need${attention.length === 1 ? "s" : ""} attention:</strong> ${attention.map((c) => `<a href="#cam-${esc(c.id)}">${esc(c.name)}</a> (${esc(c.label.toLowerCase())})`).join(", ")}`;
  }

  function serviceSection(s: ServiceStatus, timeZone: string): string {
    const d = s.disk;
    const used = Math.round(d.usage_ratio * 100);
    const limit = Math.round(d.pressure_ratio * 100);
    const diskLevel = !d.writable || d.pressure ? "bad" : d.usage_ratio > d.pressure_ratio - 0.1 ? "warn" : "ok";
    const diskNote = !d.writable ? `<p class="lvl-bad"><span class="badge">${GLYPH.bad} Not writable</span> temp_dir cannot be written: recording fails</p>`
      : d.pressure ? `<p class="lvl-bad"><span class="badge">${GLYPH.bad} Nearly full</span> uploaded segments are removed early</p>` : "";
    const b = s.upload_backlog;
    const backlog = b.segments === 0 ? "nothing waiting" : `${b.segments} segment${b.segments === 1 ? "" : "s"}, ${fmtBytes(b.bytes)}, oldest ${fmtAge(b.oldest_age_secs ?? 0)}`;
    return `<div class="fact disk lvl-${diskLevel}"><dt>Spool disk</dt><dd>
  <div class="bar" role="img" aria-label="${used} % used; early cleanup from ${limit} %"><span class="fill" style="width:${used}%"></span><span class="limit" style="left:${limit}%"></span></div>
  <span>${used} % used · ${fmtBytes(d.free_bytes)} free of ${fmtBytes(d.total_bytes)}</span>
  <small>early cleanup above ${limit} % or below ${fmtBytes(d.min_free_bytes)} free</small>${diskNote}</dd></div>
  <div class="fact"><dt>Upload backlog</dt><dd>${backlog}${b.last_error ? `<small class="err">last error: ${esc(b.last_error)}</small>` : ""}</dd></div>
  <div class="fact"><dt>Storage</dt><dd class="mono">${esc(s.storage)}</dd></div>
  <div class="fact"><dt>Version · uptime</dt><dd>${esc(s.version)} · up ${fmtAge(s.uptime_secs)}</dd></div>
  <div class="fact"><dt>Updated</dt><dd><time datetime="${esc(s.now)}">${fmtTime(s.now, timeZone, true)}</time> <small>${esc(timeZone)}</small></dd></div>`;
  }

  function cameraThumb(c: CameraStatus): string {
    return c.thumbnail
      ? `<img src="${esc(c.thumbnail)}" width="320" height="180" alt="Latest picture from ${esc(c.name)}">`
      : `<div class="nothumb" role="img" aria-label="No picture yet">No picture yet</div>`;
  }

  function cameraInfo(c: CameraStatus, timeZone: string): string {
    const b = c.upload_backlog;
    const backlog = b.segments === 0 ? "none" : `${b.segments} (${fmtBytes(b.bytes)}), oldest ${fmtAge(b.oldest_age_secs ?? 0)} old`;
    const last = c.last_segment_age_secs === null ? "none yet" : `ended ${fmtAge(c.last_segment_age_secs)} ago`;
    return `<h2>${esc(c.name)} <small class="mono">${esc(c.id)}</small></h2>
  <p class="state"><span class="badge">${GLYPH[c.level]} ${esc(c.label)}</span> <small>since ${fmtTime(c.since, timeZone)}</small></p>
  ${c.reason ? `<p class="reason">${esc(c.reason)}</p>` : ""}
  <dl class="facts"><div class="fact"><dt>Last segment</dt><dd>${last}</dd></div>
  <div class="fact"><dt>Reconnects</dt><dd>${c.reconnects_since_start} since start</dd></div>
  <div class="fact"><dt>Waiting for upload</dt><dd>${backlog}</dd></div></dl>`;
  }

  function cameraTimeline(c: CameraStatus, timeZone: string): string {
    const from = Date.parse(c.timeline.from);
    const to = Date.parse(c.timeline.to);
    const pct = (ms: number) => (((ms - from) / (to - from)) * 100).toFixed(3);
    const spans = c.timeline.spans
      .map((s) => {
        const a = Date.parse(s.start);
        const z = Date.parse(s.end);
        return `<span class="rec" style="left:min(${pct(a)}%,calc(100% - 3px));width:max(3px,${(Number(pct(z)) - Number(pct(a))).toFixed(3)}%)" title="Recorded ${fmtTime(s.start, timeZone)}–${fmtTime(s.end, timeZone)}"></span>`;
      })
      .join("");
    // Marks at 00:00, 06:00, 12:00 and 18:00 in the page's time zone, found from the minute past the hour.
    const firstMinute = Math.ceil(from / 60_000) * 60_000;
    const firstHour = firstMinute + ((60 - Number(fmtTime(new Date(firstMinute).toISOString(), timeZone).slice(3, 5))) % 60) * 60_000;
    const marks = Array.from({ length: 24 }, (_, k) => firstHour + k * 3600_000)
      .map((t) => ({ t, label: fmtTime(new Date(t).toISOString(), timeZone) }))
      .filter(({ t, label }) => t < to - 3600_000 && t > from + 4 * 3600_000 && Number(label.slice(0, 2)) % 6 === 0);
    const lines = marks.map(({ t }) => `<i class="mark" style="left:${pct(t)}%"></i>`).join("");
    const ticks = `<span style="left:0">24 h ago</span>${marks.map(({ t, label }) => `<span style="left:${pct(t)}%">${label}</span>`).join("")}<span style="left:100%">now</span>`;
    const total = c.timeline.spans.reduce((sum, s) => sum + Date.parse(s.end) - Date.parse(s.start), 0);
    const caption = c.timeline.error ? `<small class="err">timeline unavailable: ${esc(c.timeline.error)}</small>`
      : `<small><i class="key rec"></i> ${total > 0 ? `recorded ${fmtAge(Math.round(total / 1000))}` : "nothing recorded in 24 h"} · <i class="key gap"></i> no recording${c.timeline.spans.length ? " · click a time to play it" : ""}</small>`;
    return `<div class="track" tabindex="0" role="button" data-camera="${esc(c.id)}" data-from="${from}" data-to="${to}" data-spans="${esc(JSON.stringify(c.timeline.spans.map((s) => [Date.parse(s.start), Date.parse(s.end)])))}" aria-label="Recordings of ${esc(c.name)} in the last 24 hours: solid is recorded, hatched is a gap; Enter plays the last minute">${lines}${spans}<span class="cursor" hidden></span></div>
  <div class="ticks" aria-hidden="true">${ticks}</div>${caption}`;
  }

  function cameraCard(c: CameraStatus, timeZone: string): string {
    return `<article class="cam lvl-${c.level}" id="cam-${esc(c.id)}" data-id="${esc(c.id)}">
  <div class="thumb" data-src="${esc(c.thumbnail ?? "")}">${cameraThumb(c)}</div>
  <div class="info">${cameraInfo(c, timeZone)}</div>
  <div class="timeline">${cameraTimeline(c, timeZone)}</div>
  </article>`;
  }
  return { esc, fmtAge, fmtBytes, fmtTime, pageTitle, summary, serviceSection, cameraThumb, cameraInfo, cameraTimeline, cameraCard };
}

export const { esc, fmtAge, fmtBytes, fmtTime, pageTitle, summary, serviceSection, cameraThumb, cameraInfo, cameraTimeline, cameraCard } = renderKit();
