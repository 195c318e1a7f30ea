// CncTwin dashboard: runs, simulation viewer, live twin view. Bundled with uPlot at build time; the 3D viewer
// (three.js) comes from the report's bundle. Talks only to its own server.
import uPlot from 'uplot';

const $ = (s) => document.querySelector(s);
const token = new URLSearchParams(location.search).get('token');
function api(path, init) {
  init = init || {};
  init.headers = Object.assign({}, init.headers || {}, token ? { Authorization: 'Bearer ' + token } : {});
  return fetch(path, init);
}
function withToken(url) { return token ? url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : url; }

function show(view) {
  for (const v of document.querySelectorAll('section.view')) v.hidden = v.id !== view;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('on', a.dataset.view === view);
  if (view === 'runs') loadRuns();
}

async function loadRuns() {
  const r = await api('/api/runs');
  const d = await r.json();
  const sims = $('#sim-list'), twins = $('#twin-list');
  sims.innerHTML = ''; twins.innerHTML = '';
  for (const s of d.simulations) {
    const li = document.createElement('li');
    li.innerHTML = `<a href="#" data-id="${s.id}">${escapeHtml(s.program)}</a> <span class="st ${s.status}">${s.status}</span> ` +
      (s.cycle_time_s != null ? `${s.cycle_time_s.toFixed(1)} s` : '');
    li.querySelector('a').addEventListener('click', (e) => { e.preventDefault(); openSimulation(s.id); });
    sims.appendChild(li);
  }
  for (const t of d.twin_runs) {
    const li = document.createElement('li');
    li.textContent = `run ${t.id}: ${t.program} from ${t.source} — ${t.samples} samples, ${t.alarms} alarms (${t.started})`;
    twins.appendChild(li);
  }
  if (!d.simulations.length) sims.innerHTML = '<li class="none">no simulations yet</li>';
  if (!d.twin_runs.length) twins.innerHTML = '<li class="none">no twin runs yet</li>';
}

function escapeHtml(s) { return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c])); }

async function simulate(ev) {
  ev.preventDefault();
  const f = $('#sim-file').files[0];
  if (!f) return;
  const form = new FormData();
  form.append('program', f);
  if ($('#sim-tools').files[0]) form.append('tools', $('#sim-tools').files[0]);
  form.append('material', $('#sim-material').value);
  $('#sim-status').textContent = 'uploading…';
  const r = await api('/api/simulations', { method: 'POST', body: form });
  if (!r.ok) { $('#sim-status').textContent = 'error: ' + (await r.text()); return; }
  const { id } = await r.json();
  $('#sim-status').textContent = 'simulating…';
  // A running simulation can be stopped from the page (the server cancels the library's run).
  const stop = $('#sim-stop');
  stop.hidden = false;
  stop.onclick = () => { stop.disabled = true; api('/api/simulations/' + id + '/cancel', { method: 'POST' }); };
  try {
    for (;;) {
      await new Promise((res) => setTimeout(res, 400));
      const s = await (await api('/api/simulations/' + id)).json();
      if (s.status === 'done') { $('#sim-status').textContent = 'done'; openSimulation(id); return; }
      if (s.status === 'failed') { $('#sim-status').textContent = 'failed: ' + (s.error || ''); return; }
      if (s.status === 'cancelled') { $('#sim-status').textContent = 'stopped'; return; }
    }
  } finally { stop.hidden = true; stop.disabled = false; }
}

let viewer = null;
async function openSimulation(id) {
  show('viewer');
  const s = await (await api('/api/simulations/' + id)).json();
  $('#viewer-title').textContent = s.program + (s.summary ? ` — ${s.summary.cycle_time_s.toFixed(1)} s, max load ${s.summary.max_spindle_load_pct ?? '–'} %` : '');
  $('#viewer-report').href = withToken('/api/simulations/' + id + '/report');
  const [glb, path] = await Promise.all([
    api('/api/simulations/' + id + '/stock.glb').then((r) => (r.ok ? r.arrayBuffer() : null)),
    api('/api/simulations/' + id + '/path').then((r) => r.json()),
  ]);
  const canvas = $('#viewer-canvas');
  canvas.removeAttribute('data-ready');
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

// Live twin: measured vs predicted spindle load, line, wear, alarms, over server-sent events.
let live = null;
function liveChart() {
  const el = $('#live-chart');
  el.innerHTML = '';
  const data = [[], [], []];
  const plot = new uPlot({
    width: Math.min(880, el.clientWidth || 880), height: 260, title: 'Spindle load: measured vs predicted',
    scales: { x: { time: false } },
    series: [{ label: 't, s' }, { label: 'measured %', stroke: '#d62728', width: 1.5 }, { label: 'predicted %', stroke: '#1f77b4', width: 1.5 }],
    axes: [{ label: 'time, s' }, { label: 'load %' }],
  }, data, el);
  return { plot, data };
}

async function startReplay(ev) {
  ev.preventDefault();
  const p = $('#live-program').files[0], t = $('#live-telemetry').files[0];
  if (!p || !t) return;
  const form = new FormData();
  form.append('program', p); form.append('telemetry', t);
  form.append('format', $('#live-format').value); form.append('options', $('#live-options').value);
  $('#live-status').textContent = 'starting…';
  const r = await api('/api/replays', { method: 'POST', body: form });
  $('#live-status').textContent = r.ok ? 'running' : 'error: ' + (await r.text());
}

function connectLive() {
  if (live) return;
  live = liveChart();
  const es = new EventSource(withToken('/api/live'));
  let pending = 0;
  es.addEventListener('sample', (e) => {
    const s = JSON.parse(e.data);
    live.data[0].push(s.t); live.data[1].push(s.measured); live.data[2].push(s.predicted);
    if (live.data[0].length > 5000) for (const a of live.data) a.shift();
    $('#live-line').textContent = s.line;
    $('#live-wear').value = Math.min(300, s.wear || 0);
    $('#live-wear-text').textContent = (s.wear || 0).toFixed(2) + ' µm';
    $('#live-count').textContent = String(Number($('#live-count').textContent) + 1);
    if (!pending) { pending = requestAnimationFrame(() => { pending = 0; live.plot.setData(live.data); }); }
  });
  es.addEventListener('alarm', (e) => {
    const a = JSON.parse(e.data);
    const li = document.createElement('li');
    li.className = 'alarm ' + a.kind;
    li.textContent = `line ${a.line}: ${a.kind} — ${a.message}`;
    $('#live-alarms').appendChild(li);
  });
  es.addEventListener('status', (e) => { $('#live-status').textContent = JSON.parse(e.data).status; });
}

window.addEventListener('DOMContentLoaded', () => {
  for (const a of document.querySelectorAll('nav a')) a.addEventListener('click', (e) => {
    e.preventDefault(); show(a.dataset.view); if (a.dataset.view === 'live') connectLive();
  });
  $('#sim-form').addEventListener('submit', simulate);
  $('#live-form').addEventListener('submit', startReplay);
  const start = location.hash.replace('#', '') || 'runs';
  show(start);
  if (start === 'live') connectLive();
});
