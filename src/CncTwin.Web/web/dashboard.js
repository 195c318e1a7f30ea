// CncTwin dashboard: machines and runs, simulation viewer, twin runs, live twin view. Bundled with uPlot at build
// time; the 3D viewer (three.js) comes from the report's bundle. Talks only to its own server.
import uPlot from 'uplot';

const $ = (s) => document.querySelector(s);
// Off loopback the server wants a token: the first request (/?token=T) set an HttpOnly cookie that every later
// request of this page sends by itself (fetches, EventSource, the report link). The token leaves the address bar,
// so that it is not bookmarked or shown on a screen share.
if (new URLSearchParams(location.search).has('token')) history.replaceState(null, '', location.pathname + location.hash);
const api = (path, init) => fetch(path, init);
let config = { max_upload_bytes: 20 << 20 };

/** The server's answer to a refused request, in its words (it sends one plain line). */
async function errorText(r) {
  const t = (await r.text()).trim();
  return t || `${r.status} ${r.statusText}`;
}

const mb = (b) => (b / 1048576).toFixed(1);
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
/** The server's UTC timestamps, to the second. */
const when = (iso) => { const d = new Date(iso); return isNaN(d) ? String(iso) : d.toISOString().slice(0, 19).replace('T', ' ') + ' UTC'; };
const FINAL = ['done', 'failed', 'cancelled'];

/** A run's state as a person reads it: queued (its place in the line), running, done, failed with why, stopped. */
function statusText(s) {
  if (s.kind === 'machine') return `fleet machine ${s.id}: ${s.status}, ${plural(s.samples ?? 0, 'sample')}, ${plural(s.alarms ?? 0, 'open alarm')}${s.program ? ', ' + s.program : ''}${s.silo ? ' (on ' + s.silo + ')' : ''}`;
  switch (s.status) {
    case 'queued': return `queued, position ${s.position} in line`;
    case 'running': return s.kind === 'replay' ? 'replaying…' : 'simulating…';
    case 'done': return s.kind === 'replay' ? `finished: ${plural(s.samples ?? 0, 'sample')}, ${plural(s.alarms ?? 0, 'alarm')}` : 'done';
    case 'failed': return 'failed: ' + (s.error || 'no reason given');
    case 'cancelled': return 'cancelled' + (s.error && s.error !== 'stopped' ? ` (${s.error})` : '');
    default: return s.status;
  }
}

function show(view) {
  for (const v of document.querySelectorAll('section.view')) v.hidden = v.id !== view;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('on', a.dataset.view === view);
  if (view === 'runs') loadRuns();
  if (view === 'live' && !live) live = liveChart($('#live-chart'), 'Spindle load: measured vs predicted');
}

function escapeHtml(s) { return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c])); }

function item(list, text, onOpen, cls) {
  const li = document.createElement('li');
  if (cls) li.className = cls;
  if (onOpen) {
    const a = document.createElement('a');
    a.href = '#'; a.textContent = text;
    a.addEventListener('click', (e) => { e.preventDefault(); onOpen(); });
    li.appendChild(a);
  } else li.textContent = text;
  list.appendChild(li);
  return li;
}

async function loadRuns() {
  const r = await api('/api/runs');
  if (!r.ok) { $('#runs-error').textContent = await errorText(r); return; }
  const d = await r.json();
  const sims = $('#sim-list'), twins = $('#twin-list'), machines = $('#machine-list');
  sims.innerHTML = ''; twins.innerHTML = ''; machines.innerHTML = '';
  for (const m of d.machines) item(machines, `${m.name}: ${plural(m.runs, 'run')}, last ${when(m.last)}`);
  for (const s of d.simulations) {
    const li = item(sims, s.program, () => openSimulation(s.id));
    li.dataset.id = s.id;
    li.insertAdjacentHTML('beforeend', ` <span class="st ${s.status}">${escapeHtml(statusText(s))}</span>` +
      (s.cycle_time_s != null ? ` ${s.cycle_time_s.toFixed(1)} s` : ''));
  }
  // Replays that have no twin run (yet): waiting, running, or stopped before the twin began.
  const inHistory = new Set(d.twin_runs.map((t) => t.replay).filter((x) => x));
  for (const p of d.replays) {
    if (inHistory.has(p.id)) continue;
    const watch = FINAL.includes(p.status) ? null : () => { show('live'); attachLive(p.id, p); };
    const li = item(twins, `replay of ${p.program} with ${p.telemetry}`, watch, 'replay');
    li.insertAdjacentHTML('beforeend', ` <span class="st ${p.status}">${escapeHtml(statusText(p))}</span>`);
  }
  // A twin run of a replay still going is watched live; any other opens from the history.
  const replays = new Map(d.replays.map((p) => [p.id, p]));
  for (const t of d.twin_runs) {
    const p = t.replay && replays.get(t.replay);
    const going = p && !FINAL.includes(p.status);
    item(twins, `run ${t.id}: ${t.program} from ${t.source}: ${going ? statusText(p) : `${plural(t.samples, 'sample')}, ${plural(t.alarms, 'alarm')}`} (${when(t.started)})`,
      going ? () => { show('live'); attachLive(p.id, p); } : () => openTwinRun(t.id), 'twin');
  }
  if (!d.machines.length) machines.innerHTML = '<li class="none">no machines in the history yet</li>';
  if (!d.simulations.length) sims.innerHTML = '<li class="none">no simulations yet</li>';
  if (!twins.children.length) twins.innerHTML = '<li class="none">no twin runs yet</li>';
}

async function simulate(ev) {
  ev.preventDefault();
  const f = $('#sim-file').files[0];
  if (!f) return;
  const status = $('#sim-status');
  const tools = $('#sim-tools').files[0];
  // Said before a byte is sent: the server would refuse it after the whole upload.
  const size = f.size + (tools ? tools.size : 0);
  if (size > config.max_upload_bytes) {
    status.textContent = `${tools ? 'the program and tools are' : f.name + ' is'} ${mb(size)} MB, the limit is ${Math.round(config.max_upload_bytes / 1048576)} MB`;
    status.className = 'failed';
    return;
  }
  const form = new FormData();
  form.append('program', f);
  if (tools) form.append('tools', tools);
  form.append('material', $('#sim-material').value);
  status.textContent = 'uploading…'; status.className = '';
  const r = await api('/api/simulations', { method: 'POST', body: form });
  if (!r.ok) { status.textContent = await errorText(r); status.className = 'failed'; return; }
  let s = await r.json();
  const id = s.id;
  // A waiting or running job can be stopped from the page (the server takes it out of the line, or cancels the run).
  const stop = $('#sim-stop');
  stop.hidden = false; stop.disabled = false;
  stop.onclick = () => { stop.disabled = true; api('/api/simulations/' + id + '/cancel', { method: 'POST' }); };
  try {
    for (;;) {
      status.textContent = statusText(s); status.className = s.status;
      if (s.status === 'done') { openSimulation(id); return; }
      if (FINAL.includes(s.status)) return;
      await new Promise((res) => setTimeout(res, 400));
      const q = await api('/api/simulations/' + id);
      if (!q.ok) { status.textContent = await errorText(q); status.className = 'failed'; return; }
      s = await q.json();
    }
  } finally { stop.hidden = true; }
}

let viewer = null;
async function openSimulation(id) {
  show('viewer');
  const canvas = $('#viewer-canvas'), err = $('#viewer-error'), parts = document.querySelectorAll('#viewer .result');
  canvas.removeAttribute('data-ready');
  const r = await api('/api/simulations/' + id);
  const s = r.ok ? await r.json() : { status: 'failed', error: await errorText(r), program: 'simulation' };
  $('#viewer-title').textContent = s.program + (s.summary ? ` — ${s.summary.cycle_time_s.toFixed(1)} s, max load ${s.summary.max_spindle_load_pct ?? '–'} %` : '');
  // Only a finished run has a stock, a toolpath and a report: for any other, what happened to it.
  const ok = s.status === 'done';
  for (const p of parts) p.hidden = !ok;
  err.hidden = ok;
  if (!ok) {
    err.textContent = statusText(s); err.className = 'st ' + s.status;
    if (s.report) {
      const a = document.createElement('a');
      a.href = '/api/simulations/' + id + '/report'; a.target = '_blank'; a.textContent = 'the report up to the error';
      err.append(' · ', a);
    }
    return;
  }
  $('#viewer-report').href = '/api/simulations/' + id + '/report';
  const [glb, pr] = await Promise.all([
    api('/api/simulations/' + id + '/stock.glb').then((x) => (x.ok ? x.arrayBuffer() : null)),
    api('/api/simulations/' + id + '/path'),
  ]);
  if (!pr.ok) { for (const p of parts) p.hidden = true; err.hidden = false; err.textContent = 'no toolpath: ' + (await errorText(pr)); return; }
  const path = await pr.json();
  viewer = window.CncTwinViewer.show(canvas, {
    glb, path: new Float32Array(path.xyz), load: new Float32Array(path.load), rapid: new Uint8Array(path.rapid),
  });
  viewer.ready.then(() => canvas.setAttribute('data-ready', '1'));
  const scrub = $('#viewer-scrub');
  const time = path.time;
  scrub.oninput = () => {
    const target = time.length ? time[time.length - 1] * scrub.value / 1000 : 0;
    let lo = 0, hi = time.length - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (time[mid] < target) lo = mid + 1; else hi = mid; }
    viewer.setCursor(lo);
    $('#viewer-t').textContent = target.toFixed(1) + ' s';
  };
}

function liveChart(el, title) {
  el.innerHTML = '';
  const data = [[], [], []];
  const plot = new uPlot({
    width: Math.min(880, el.clientWidth || 880), height: 260, title,
    scales: { x: { time: false } },
    series: [{ label: 't, s' }, { label: 'measured %', stroke: '#d62728', width: 1.5 }, { label: 'predicted %', stroke: '#1f77b4', width: 1.5 }],
    axes: [{ label: 'time, s' }, { label: 'load %' }],
  }, data, el);
  return { plot, data };
}

function alarmItem(list, a) {
  const li = document.createElement('li');
  li.className = 'alarm ' + a.kind;
  li.textContent = `line ${a.line}: ${a.kind} — ${a.message}`;
  list.appendChild(li);
}

/** A twin run from the history: its alarms and its measured vs predicted load. */
async function openTwinRun(n) {
  show('twin');
  const r = await api('/api/twin-runs/' + n);
  const title = $('#twin-title'), alarms = $('#twin-alarms');
  alarms.innerHTML = '';
  if (!r.ok) { title.textContent = `twin run ${n}: ${await errorText(r)}`; $('#twin-chart').innerHTML = ''; return; }
  const t = await r.json();
  title.textContent = `Twin run ${t.id}: ${t.program} from ${t.source}, ${plural(t.samples, 'sample')} (${when(t.started)})`;
  const c = liveChart($('#twin-chart'), 'Spindle load: measured vs predicted');
  c.plot.setData([t.chart.t, t.chart.measured, t.chart.predicted]);
  $('#twin-chart').dataset.points = String(t.chart.t.length);
  for (const a of t.alarms) alarmItem(alarms, a);
  if (!t.alarms.length) alarms.innerHTML = '<li class="none">no alarms</li>';
}

// Live twin: one replay's measured vs predicted spindle load, line, wear, alarms, over its own server-sent events.
let live = null, stream = null;

async function startReplay(ev) {
  ev.preventDefault();
  const p = $('#live-program').files[0], t = $('#live-telemetry').files[0];
  if (!p || !t) return;
  const status = $('#live-status');
  if (p.size + t.size > config.max_upload_bytes) {
    status.textContent = `the program and log are ${mb(p.size + t.size)} MB, the limit is ${Math.round(config.max_upload_bytes / 1048576)} MB`;
    return;
  }
  const form = new FormData();
  form.append('program', p); form.append('telemetry', t);
  form.append('format', $('#live-format').value); form.append('options', $('#live-options').value);
  status.textContent = 'uploading…';
  const r = await api('/api/replays', { method: 'POST', body: form });
  if (!r.ok) { status.textContent = await errorText(r); return; }
  const s = await r.json();
  attachLive(s.id, s);
}

/** Watches one replay (or, with a url, one fleet machine): the chart, counters and alarms start empty, and only its events fill them. */
function attachLive(id, first, url) {
  if (stream) stream.close();
  if (!live) live = liveChart($('#live-chart'), 'Spindle load: measured vs predicted');
  let count = 0, pending = 0;
  const reset = () => {
    for (const a of live.data) a.length = 0;
    live.plot.setData(live.data);
    count = 0;
    $('#live-count').textContent = '0'; $('#live-line').textContent = '–'; $('#live-alarms').innerHTML = '';
    $('#live-wear').value = 0; $('#live-wear-text').textContent = '';
  };
  reset();
  $('#live-status').textContent = statusText(first);
  $('#live-form').dataset.replay = id;
  const stop = $('#live-stop');
  stop.hidden = FINAL.includes(first.status); stop.disabled = false;
  stop.onclick = () => { stop.disabled = true; api('/api/replays/' + id + '/cancel', { method: 'POST' }); };
  if (url) stop.hidden = true;
  const es = new EventSource(url || '/api/replays/' + id + '/live');
  stream = es;
  // Each connection (a reconnect after a dropped one too) starts with the replay's backlog: start from empty, never twice.
  es.addEventListener('open', reset);
  es.addEventListener('sample', (e) => {
    const s = JSON.parse(e.data);
    live.data[0].push(s.t); live.data[1].push(s.measured); live.data[2].push(s.predicted);
    if (live.data[0].length > 5000) for (const a of live.data) a.shift();
    $('#live-line').textContent = s.line;
    $('#live-wear').value = Math.min(300, s.wear || 0);
    $('#live-wear-text').textContent = (s.wear || 0).toFixed(2) + ' µm';
    $('#live-count').textContent = String(++count);
    if (!pending) { pending = requestAnimationFrame(() => { pending = 0; live.plot.setData(live.data); }); }
  });
  es.addEventListener('alarm', (e) => alarmItem($('#live-alarms'), JSON.parse(e.data)));
  es.addEventListener('status', (e) => {
    const s = JSON.parse(e.data);
    $('#live-status').textContent = statusText(s);
    $('#live-status').className = s.status;
    // The run is over: close the stream, or EventSource would reconnect and replay the backlog into the chart.
    if (FINAL.includes(s.status)) { es.close(); stop.hidden = true; live.plot.setData(live.data); }
  });
}

window.addEventListener('DOMContentLoaded', async () => {
  for (const a of document.querySelectorAll('nav a')) a.addEventListener('click', (e) => { e.preventDefault(); show(a.dataset.view); });
  $('#sim-form').addEventListener('submit', simulate);
  $('#live-form').addEventListener('submit', startReplay);
  const c = await api('/api/config');
  if (c.ok) config = await c.json();
  // #machine=ID (the fleet page's tiles link here): the live view of that fleet machine.
  const route = () => {
    const h = location.hash.replace('#', '');
    if (h.startsWith('machine=')) {
      const id = decodeURIComponent(h.slice(8));
      show('live');
      attachLive(id, { kind: 'machine', id, status: 'connecting' }, '/api/machines/' + encodeURIComponent(id) + '/live');
    } else show(h || 'runs');
  };
  route();
  // A link or address ending in #view opens that view (the page is not reloaded for a new hash).
  window.addEventListener('hashchange', route);
  document.body.dataset.ready = '1';
});
