// The Colorize web UI. Plain JavaScript, no framework and nothing from another origin (the page's CSP is
// default-src 'self'). Every image is sent as its own job (POST /api/jobs) and polled for progress; the server
// colorizes one at a time and keeps each result until it is downloaded or expires.
'use strict';

const $ = (id) => document.getElementById(id);
const ui = {
  drop: $('drop'), file: $('file'), picked: $('picked'), pack: $('pack'), renderSize: $('renderSize'),
  strength: $('strength'), strengthValue: $('strengthValue'), keepLuminance: $('keepLuminance'), allowTruncated: $('allowTruncated'),
  colorize: $('colorize'), message: $('message'),
  viewer: $('viewer'), compare: $('compare'), before: $('before'), after: $('after'), divider: $('divider'),
  viewName: $('viewName'), download: $('download'), batch: $('batch'), overall: $('overall'),
  overallText: $('overallText'), jobs: $('jobs'), engine: $('engine'),
};

let info = { maxUploadBytes: Infinity, formats: [] };
let packs = [];
let packsLoaded = false;
let chosen = [];
let entries = [];
let polling = false;
let current = null;

function say(text, isError) {
  ui.message.textContent = text || '';
  ui.message.classList.toggle('error', !!isError);
}

function megabytes(bytes) {
  if (bytes < 1024 * 1024) return Math.max(1, Math.round(bytes / 1024)) + ' KB';
  return (bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0) + ' MB';
}

async function readError(response) {
  try {
    const body = await response.json();
    if (body && body.error) return body.error;
  } catch { /* not JSON */ }
  return 'HTTP ' + response.status;
}

async function loadInfo() {
  const [infoResponse, packsResponse] = await Promise.all([fetch('/api/info'), fetch('/api/packs')]);
  if (!infoResponse.ok || !packsResponse.ok) throw new Error('the server did not answer /api/info or /api/packs');
  info = await infoResponse.json();
  const list = await packsResponse.json();
  packs = list.packs;
  packsLoaded = true;
  ui.engine.textContent = info.engines.length ? 'engine ' + info.engines.join(', ') : 'no engine loaded';
  // Replaces the "Default pack (loading list…)" placeholder, keeping a choice made meanwhile when it is still there.
  const before = ui.pack.value;
  ui.pack.replaceChildren();
  if (packs.length === 0) {
    const option = new Option('No packs installed', '');
    option.disabled = true;
    ui.pack.add(option);
    say('No model pack is installed: run `colorize packs install <file.cpack>` and reload this page.', true);
  }
  const shown = new Set();
  for (const pack of packs) {
    // The store's copy and a bundled copy of one version resolve to the same pack (the store's): list it once.
    if (shown.has(pack.reference)) continue;
    shown.add(pack.reference);
    // Short labels keep the options on one row; the reference and description are in the tooltip.
    const option = new Option(pack.default ? `${pack.name} (default)` : pack.name, pack.reference, pack.default, pack.default);
    option.title = pack.description ? `${pack.reference}: ${pack.description}` : pack.reference;
    option.dataset.renderSize = pack.defaultRenderSize;
    ui.pack.add(option);
  }
  if (before && shown.has(before)) ui.pack.value = before;
  showPackDefault();
  updateButton();
  // A photo viewed before the list arrived learns now whether its pack takes colour hints.
  Hints.refresh();
}

function showPackDefault() {
  const option = ui.pack.selectedOptions[0];
  ui.pack.title = option ? option.title || option.text : '';
  ui.renderSize.placeholder = option && option.dataset.renderSize ? `pack default (${option.dataset.renderSize})` : 'pack default';
}

function choose(fileList) {
  chosen = Array.from(fileList || []);
  ui.picked.textContent = chosen.length === 0 ? 'No photo chosen'
    : chosen.length === 1 ? `${chosen[0].name} (${megabytes(chosen[0].size)})`
    : `${chosen.length} photos chosen (${megabytes(chosen.reduce((sum, f) => sum + f.size, 0))})`;
  say('');
  updateButton();
}

function updateButton() {
  // Before the pack list arrives the form works with the server's default pack; only a server with none blocks it.
  ui.colorize.disabled = chosen.length === 0 || (packsLoaded && packs.length === 0);
}

// ---- jobs ------------------------------------------------------------------------------------------------

function addEntry(file) {
  const li = document.createElement('li');
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = file.name;
  name.title = file.name;
  const bar = document.createElement('div');
  bar.className = 'bar';
  const progress = document.createElement('progress');
  progress.max = 1;
  progress.value = 0;
  const state = document.createElement('span');
  state.className = 'state';
  state.textContent = 'waiting to upload';
  bar.append(progress, state);
  const actions = document.createElement('span');
  actions.className = 'actions';
  li.append(name, bar, actions);
  ui.jobs.append(li);
  const entry = { file, li, progress, state, actions, job: null, fraction: 0, finished: false };
  entries.push(entry);
  return entry;
}

function setState(entry, text, fraction, cls) {
  entry.state.textContent = text;
  if (fraction !== undefined) {
    entry.fraction = fraction;
    entry.progress.value = fraction;
  }
  if (cls) entry.li.className = cls;
  updateOverall();
}

function updateOverall() {
  if (entries.length === 0) return;
  const sum = entries.reduce((total, e) => total + (e.finished ? 1 : e.fraction), 0);
  ui.overall.value = sum / entries.length;
  const done = entries.filter((e) => e.job && e.job.status === 'done').length;
  const failed = entries.filter((e) => e.finished && !(e.job && e.job.status === 'done')).length;
  ui.overallText.textContent = `${done} of ${entries.length} done` + (failed ? `, ${failed} failed` : '');
}

function upload(entry) {
  // XMLHttpRequest rather than fetch: it reports upload progress. A busy server (its queue or upload budget is full)
  // answers 503 with Retry-After; the photo is sent again after that long, so a large batch drains in turn.
  return new Promise((resolve) => {
    // Kept with the photo: colorizing it again with colour hints (hints.js) uses the same options.
    entry.options = {
      renderSize: ui.renderSize.value.trim(),
      strength: ui.strength.value,
      keepLuminance: ui.keepLuminance.checked ? 'true' : 'false',
      allowTruncated: ui.allowTruncated.checked ? 'true' : 'false',
    };
    const form = new FormData();
    form.append('pack', ui.pack.value);
    for (const [name, value] of Object.entries(entry.options)) form.append(name, value);
    form.append('file', entry.file, entry.file.name);
    const send = () => {
      const request = new XMLHttpRequest();
      request.open('POST', '/api/jobs');
      request.responseType = 'json';
      request.upload.onprogress = (e) => {
        if (e.lengthComputable) setState(entry, `uploading ${Math.round((100 * e.loaded) / e.total)}%`, 0);
      };
      request.onload = () => {
        const body = request.response || {};
        const wait = Number(request.getResponseHeader('Retry-After'));
        if (request.status === 202) {
          entry.job = body;
          showJob(entry);
        } else if (request.status === 503 && wait > 0) {
          setState(entry, `server busy, trying again in ${wait} s`, 0);
          setTimeout(send, wait * 1000);
          return;
        } else {
          fail(entry, body.error || 'HTTP ' + request.status);
        }
        resolve();
      };
      request.onerror = () => { fail(entry, 'the upload failed (is the server still running?)'); resolve(); };
      request.send(form);
    };
    send();
  });
}

function fail(entry, text) {
  entry.finished = true;
  setState(entry, text, 0, 'failed');
}

function showJob(entry) {
  const job = entry.job;
  switch (job.status) {
    case 'queued':
      setState(entry, job.queuePosition > 0 ? `queued (${job.queuePosition} ahead)` : 'queued', 0);
      break;
    case 'running':
      setState(entry, `${job.stage} ${Math.round(100 * job.progress)}%`, job.progress);
      break;
    case 'done':
      entry.finished = true;
      if (job.warning) {
        setState(entry, `done in ${job.seconds.toFixed(1)} s — ${job.warning}: colorized the decoded part`, 1, 'done warned');
      } else {
        setState(entry, `done in ${job.seconds.toFixed(1)} s — ${job.width}×${job.height}`, 1, 'done');
      }
      addActions(entry);
      if (!current) view(entry);
      break;
    default: {
      let text = job.error || job.status;
      if (job.errorStatus === 422 && /^(truncated|damaged) /.test(text)) text += ' (tick “Colorize damaged photos” to colorize the part that decodes)';
      fail(entry, text);
    }
  }
}

function addActions(entry) {
  const view_ = document.createElement('button');
  view_.className = 'button secondary small';
  view_.textContent = 'View';
  view_.addEventListener('click', () => view(entry));
  const link = document.createElement('a');
  link.className = 'button small';
  link.textContent = 'Download';
  link.href = entry.job.downloadUrl;
  link.download = entry.job.downloadName;
  entry.actions.replaceChildren(view_, link);
}

async function poll() {
  if (polling) return;
  polling = true;
  try {
    for (;;) {
      const open = entries.filter((e) => e.job && !e.finished);
      if (open.length === 0 && entries.every((e) => e.job || e.finished)) break;
      for (const entry of open) {
        try {
          const response = await fetch(entry.job.url);
          if (response.ok) {
            entry.job = await response.json();
            showJob(entry);
          } else {
            fail(entry, await readError(response));
          }
        } catch {
          fail(entry, 'lost contact with the server');
        }
      }
      await new Promise((r) => setTimeout(r, 350));
    }
  } finally {
    polling = false;
  }
  const failed = entries.filter((e) => !(e.job && e.job.status === 'done')).length;
  say(failed ? `${failed} of ${entries.length} photos failed; see the list.` : `All ${entries.length} photos are colorized.`, failed > 0);
  ui.colorize.disabled = false;
}

async function start() {
  if (chosen.length === 0) return;
  ui.colorize.disabled = true;
  say('');
  const files = chosen;
  ui.batch.hidden = false;
  const fresh = files.map(addEntry);
  updateOverall();
  const polled = poll();
  for (const entry of fresh) {
    if (entry.file.size > info.maxUploadBytes) {
      fail(entry, `larger than this server's upload limit of ${megabytes(info.maxUploadBytes)}`);
      continue;
    }
    await upload(entry);
    if (!polling) poll();
  }
  await polled;
}

// ---- before/after --------------------------------------------------------------------------------------

function view(entry) {
  current = entry;
  for (const e of entries) e.li.classList.toggle('current', e === entry);
  const job = entry.job;
  // The photo's latest colorization with colour hints, when it has one (hints.js), else its own result.
  const shown = entry.shown || job;
  ui.viewer.hidden = false;
  ui.viewName.textContent = `${entry.file.name} → ${job.downloadName} (${job.pack})`;
  ui.before.src = job.sourceUrl;
  ui.after.src = shown.resultUrl;
  ui.download.href = shown.downloadUrl;
  ui.download.download = shown.downloadName;
  setDivider(50);
  Hints.show(entry);
}

function setDivider(percent) {
  const p = Math.max(0, Math.min(100, percent));
  ui.divider.style.left = p + '%';
  ui.after.style.clipPath = `inset(0 0 0 ${p}%)`;
  ui.divider.setAttribute('aria-valuenow', String(Math.round(p)));
}

function dividerFromPointer(event) {
  const box = ui.compare.getBoundingClientRect();
  setDivider((100 * (event.clientX - box.left)) / box.width);
}

let dragging = false;
ui.compare.addEventListener('pointerdown', (e) => {
  // While pinning colour hints a press on the photo is a pin's; the divider then moves by its own handle.
  if (Hints.claims(e)) return;
  dragging = true;
  ui.compare.setPointerCapture(e.pointerId);
  dividerFromPointer(e);
  e.preventDefault();
});
ui.compare.addEventListener('pointermove', (e) => { if (dragging) dividerFromPointer(e); });
ui.compare.addEventListener('pointerup', () => { dragging = false; });
ui.compare.addEventListener('pointercancel', () => { dragging = false; });
ui.divider.addEventListener('keydown', (e) => {
  const now = Number(ui.divider.getAttribute('aria-valuenow'));
  const step = e.shiftKey ? 10 : 2;
  if (e.key === 'ArrowLeft') setDivider(now - step);
  else if (e.key === 'ArrowRight') setDivider(now + step);
  else if (e.key === 'Home') setDivider(0);
  else if (e.key === 'End') setDivider(100);
  else return;
  e.preventDefault();
});

// ---- inputs ----------------------------------------------------------------------------------------------

ui.file.addEventListener('change', () => choose(ui.file.files));
ui.drop.addEventListener('dragover', (e) => { e.preventDefault(); ui.drop.classList.add('over'); });
ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
ui.drop.addEventListener('drop', (e) => {
  e.preventDefault();
  ui.drop.classList.remove('over');
  choose(e.dataTransfer.files);
});
ui.drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); ui.file.click(); } });
// Dropping a file anywhere else must not navigate away from the page.
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());
ui.strength.addEventListener('input', () => { ui.strengthValue.textContent = Number(ui.strength.value).toFixed(2); });
ui.pack.addEventListener('change', showPackDefault);
ui.colorize.addEventListener('click', start);

loadInfo().catch((e) => say('Cannot reach the server: ' + e.message, true));
