// Colour hints in the page (issue 16): pin colours on the photo in the viewer, see a small preview re-colorized as they
// change, colorize at full size on demand, and export/import the pins as the command line's hints file (--hints).
// Loaded after app.js, whose `ui`, `info`, `packs`, `packsLoaded` and `readError` it uses. Nothing is shown
// from a blob: URL (the CSP's default-src 'self' refuses blob: images): every preview is a job on the server and the
// viewer shows the job's result URL, as for any photo.
'use strict';

const Hints = (() => {
  /** The preview's render size: small enough to come back within about a second, large enough to judge the colours. */
  const PREVIEW_RENDER_SIZE = 256;
  /** Changes closer together than this make one preview (dragging a pin or a colour fires many events). */
  const DEBOUNCE_MS = 300;
  const POLL_MS = 150;
  /** The hints file format's, as in ColorHint.DefaultRadius and ColorHint.MaxRadius. */
  const FORMAT_VERSION = 1;
  const DEFAULT_RADIUS = 4;
  const MAX_RADIUS = 4096;
  const MAX_FILE_BYTES = 1 << 20;
  const ASPECT_TOLERANCE = 0.01;

  const el = {
    panel: $('hints'), mode: $('pinMode'), note: $('hintNote'), list: $('pinList'), count: $('pinCount'),
    status: $('hintStatus'), full: $('fullSize'), exportButton: $('exportHints'), importInput: $('importHints'),
    importLabel: $('importLabel'), layer: $('pins'),
  };

  let entry = null; // the photo in the viewer (an entry of app.js: file, job, options, and here pins and shown)
  let selected = null;
  let timer = 0;
  let generation = 0; // a newer preview or full-size request supersedes every older one
  let inflight = null; // { abort: AbortController, jobUrl }
  let press = null; // a press on the photo that becomes a pin when released without moving
  let drag = null; // a pin being dragged
  let sampler = null;

  // ---- state ----------------------------------------------------------------------------------------------

  const size = () => ({ width: entry.job.width, height: entry.job.height });
  const packOf = (e) => packs.find((p) => p.reference === e.job.pack);
  const takesHints = () => !!(entry && packOf(entry) && packOf(entry).hints);
  const pinning = () => takesHints() && el.mode.checked;
  const maxHints = () => info.maxHints || 1024;
  const round1 = (v) => Math.round(v * 10) / 10;
  const hex2 = (n) => n.toString(16).padStart(2, '0');

  /** A default radius of a couple of pixels at the pack's render size, so a pin covers a visible patch at any photo size. */
  function defaultRadius() {
    const { width, height } = size();
    return Math.max(DEFAULT_RADIUS, Math.round(Math.min(width, height) / 128));
  }

  /** Keeps a position on a pixel of the photo (0 <= x < width), as the server requires. */
  function clampToPhoto(x, y) {
    const { width, height } = size();
    return { x: Math.min(Math.max(0, round1(x)), width - 0.1), y: Math.min(Math.max(0, round1(y)), height - 0.1) };
  }

  /** Where the photo is drawn inside the viewer (object-fit: contain may letterbox it), in client pixels. */
  function contentRect() {
    const img = ui.before.naturalWidth ? ui.before : ui.after;
    const box = img.getBoundingClientRect();
    const { width, height } = size();
    const nw = img.naturalWidth || width, nh = img.naturalHeight || height;
    const scale = Math.min(box.width / nw, box.height / nh);
    const w = nw * scale, h = nh * scale;
    return { left: box.left + (box.width - w) / 2, top: box.top + (box.height - h) / 2, width: w, height: h };
  }

  /** Client coordinates to the photo's own pixels (what the hints file holds); null off the photo. */
  function toPhoto(clientX, clientY) {
    const r = contentRect();
    const { width, height } = size();
    const x = ((clientX - r.left) / r.width) * width, y = ((clientY - r.top) / r.height) * height;
    return x >= 0 && y >= 0 && x < width && y < height ? { x, y } : null;
  }

  /** The colour of the current result at a photo position: the colour picker's starting value. */
  function colourAt(x, y) {
    const img = ui.after;
    if (!img.complete || !img.naturalWidth) return '#808080';
    sampler = sampler || document.createElement('canvas');
    sampler.width = sampler.height = 1;
    const g = sampler.getContext('2d', { willReadFrequently: true });
    const { width, height } = size();
    g.clearRect(0, 0, 1, 1);
    g.drawImage(img, Math.floor((x * img.naturalWidth) / width), Math.floor((y * img.naturalHeight) / height), 1, 1, 0, 0, 1, 1);
    try {
      const d = g.getImageData(0, 0, 1, 1).data;
      return '#' + hex2(d[0]) + hex2(d[1]) + hex2(d[2]);
    } catch {
      return '#808080'; // a tainted canvas cannot happen with the server's own URLs, but never break pinning over it
    }
  }

  // ---- the panel ------------------------------------------------------------------------------------------

  function show(e) {
    entry = e;
    entry.pins = entry.pins || [];
    selected = null; // app.js's view() has already shown entry.shown, the latest colorization with hints
    refresh();
    setStatus(entry.shown ? statusOf(entry.shown) : '', entry.shown ? 'done' : 'idle');
  }

  /** Draws the panel again for the current photo and pack (also when the pack list arrives after the photo). */
  function refresh() {
    el.panel.hidden = !entry;
    if (!entry) return;
    const supported = takesHints();
    const pack = packOf(entry);
    el.mode.disabled = !supported;
    el.full.disabled = !supported;
    el.importInput.disabled = !supported;
    el.importLabel.classList.toggle('disabled', !supported);
    el.note.textContent = supported ? 'Click the photo to pin a colour; drag a pin to move it; Delete or right-click removes it.'
      : !packsLoaded ? 'Loading the pack list…'
      : `${pack ? pack.name : entry.job.pack} does not take colour hints: choose a pack that does and colorize again to pin colours.`;
    el.note.classList.toggle('muted', supported);
    ui.compare.classList.toggle('pinning', pinning());
    rebuild();
  }

  function setStatus(text, state) {
    el.status.textContent = text;
    el.status.dataset.state = state;
    el.status.classList.toggle('error', state === 'failed');
  }

  /** The list of pins and their markers on the photo, made again after pins are added, removed or imported. */
  function rebuild() {
    const pins = entry && takesHints() ? entry.pins : [];
    el.layer.replaceChildren();
    el.list.replaceChildren();
    pins.forEach((pin, i) => {
      const marker = document.createElement('button');
      marker.type = 'button';
      marker.className = 'pin';
      marker.dataset.index = String(i);
      marker.addEventListener('keydown', (e) => pinKey(e, pin));
      marker.addEventListener('contextmenu', (e) => { e.preventDefault(); remove(pin); });
      marker.addEventListener('focus', () => select(pin));
      pin.marker = marker;

      const row = document.createElement('li');
      const colour = document.createElement('input');
      colour.type = 'color';
      colour.value = pin.color;
      colour.addEventListener('input', () => { pin.color = colour.value; paint(pin); schedule(); });
      const where = document.createElement('span');
      where.className = 'where';
      const radius = document.createElement('input');
      radius.type = 'number';
      radius.min = '0.5';
      radius.max = String(MAX_RADIUS);
      radius.step = 'any';
      radius.value = String(pin.radius);
      radius.addEventListener('change', () => {
        const r = Number(radius.value);
        if (r > 0 && r <= MAX_RADIUS) { pin.radius = r; schedule(); } else radius.value = String(pin.radius);
      });
      const radiusLabel = document.createElement('label');
      radiusLabel.append('radius ', radius);
      const cross = document.createElement('button');
      cross.type = 'button';
      cross.className = 'remove';
      cross.textContent = '✕';
      cross.addEventListener('click', () => remove(pin));
      row.append(colour, where, radiusLabel, cross);
      row.addEventListener('focusin', () => select(pin));
      pin.row = { li: row, colour, where, radius, cross };
      el.layer.append(marker);
      el.list.append(row);
      paint(pin);
    });
    el.count.textContent = pins.length === 0 ? 'No hints pinned' : pins.length === 1 ? '1 hint pinned' : `${pins.length} hints pinned`;
    el.exportButton.disabled = pins.length === 0;
    place();
  }

  /** Labels and colours of one pin's marker and row (its number, position and colour change without a rebuild). */
  function paint(pin) {
    const n = entry.pins.indexOf(pin) + 1;
    const at = `(${pin.x}, ${pin.y})`;
    pin.marker.style.background = pin.color;
    pin.marker.title = `Hint ${n} at ${at}, ${pin.color}`;
    pin.marker.setAttribute('aria-label', `Hint ${n} at ${at}, ${pin.color}: arrow keys move it, Delete removes it`);
    pin.marker.classList.toggle('selected', pin === selected);
    pin.row.where.textContent = `${n}. at ${at}`;
    pin.row.colour.setAttribute('aria-label', `Colour of hint ${n}`);
    pin.row.radius.setAttribute('aria-label', `Radius of hint ${n} in pixels`);
    pin.row.cross.setAttribute('aria-label', `Remove hint ${n}`);
    pin.row.cross.title = `Remove hint ${n}`;
    pin.row.li.classList.toggle('selected', pin === selected);
  }

  /** Puts the markers over their spots; runs after a layout change (resize, a new image). */
  function place() {
    if (!entry || !entry.pins.length || ui.viewer.hidden) return;
    const r = contentRect();
    const box = ui.compare.getBoundingClientRect();
    const { width, height } = size();
    for (const pin of entry.pins) {
      if (!pin.marker) continue;
      pin.marker.style.left = `${r.left - box.left + (pin.x / width) * r.width}px`;
      pin.marker.style.top = `${r.top - box.top + (pin.y / height) * r.height}px`;
    }
  }

  function select(pin) {
    if (selected === pin) return;
    const before = selected;
    selected = pin;
    if (before && entry.pins.includes(before)) paint(before);
    if (pin) paint(pin);
  }

  // ---- changing pins ----------------------------------------------------------------------------------------

  function add(x, y) {
    if (entry.pins.length >= maxHints()) {
      setStatus(`A colorization takes at most ${maxHints()} hints; remove one first.`, 'failed');
      return;
    }
    const at = clampToPhoto(x, y);
    const pin = { x: at.x, y: at.y, color: colourAt(at.x, at.y), radius: defaultRadius() };
    entry.pins.push(pin);
    rebuild();
    select(pin);
    // The picker opens on the colour that is there now; choosing another is what the pin is for.
    pin.row.colour.focus();
    try { pin.row.colour.showPicker(); } catch { /* no picker without a user gesture, or none in this browser */ }
    schedule();
  }

  function remove(pin) {
    const i = entry.pins.indexOf(pin);
    if (i < 0) return;
    entry.pins.splice(i, 1);
    if (selected === pin) selected = null;
    rebuild();
    // Keyboard users stay in the pins: the next one (or the previous), else the pin mode switch.
    const next = entry.pins[Math.min(i, entry.pins.length - 1)];
    (next ? next.marker : el.mode).focus();
    schedule();
  }

  function move(pin, x, y) {
    const at = clampToPhoto(x, y);
    pin.x = at.x;
    pin.y = at.y;
    paint(pin);
    place();
  }

  function pinKey(e, pin) {
    const { width, height } = size();
    const step = Math.max(1, Math.round(Math.min(width, height) / 100)) * (e.shiftKey ? 10 : 1);
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (e.key === 'Delete' || e.key === 'Backspace') {
      remove(pin);
    } else if (moves[e.key]) {
      move(pin, pin.x + moves[e.key][0], pin.y + moves[e.key][1]);
      schedule();
    } else if (e.key === 'Enter' || e.key === ' ') {
      pin.row.colour.focus();
      try { pin.row.colour.showPicker(); } catch { /* see add */ }
    } else {
      return;
    }
    e.preventDefault();
  }

  /** Whether a press on the viewer is the pins' rather than the divider's (app.js asks before moving the divider). */
  function claims(e) {
    return pinning() && !ui.divider.contains(e.target);
  }

  ui.compare.addEventListener('pointerdown', (e) => {
    if (!claims(e) || e.button !== 0) return;
    const index = e.target.classList.contains('pin') ? Number(e.target.dataset.index) : -1;
    if (index >= 0) {
      drag = { pin: entry.pins[index], id: e.pointerId, x: e.clientX, y: e.clientY, moved: false };
      e.target.setPointerCapture(e.pointerId);
      e.target.focus();
    } else {
      press = { id: e.pointerId, x: e.clientX, y: e.clientY };
    }
    e.preventDefault();
  });
  ui.compare.addEventListener('pointermove', (e) => {
    if (!drag || e.pointerId !== drag.id) return;
    if (Math.hypot(e.clientX - drag.x, e.clientY - drag.y) > 3) drag.moved = true;
    if (!drag.moved) return;
    const r = contentRect();
    const { width, height } = size();
    move(drag.pin, ((e.clientX - r.left) / r.width) * width, ((e.clientY - r.top) / r.height) * height);
  });
  ui.compare.addEventListener('pointerup', (e) => {
    if (drag && e.pointerId === drag.id) {
      if (drag.moved) schedule();
      drag = null;
    } else if (press && e.pointerId === press.id) {
      const at = Math.hypot(e.clientX - press.x, e.clientY - press.y) < 6 ? toPhoto(press.x, press.y) : null;
      press = null;
      if (at) add(at.x, at.y);
    }
  });
  ui.compare.addEventListener('pointercancel', () => { drag = null; press = null; });
  // The right button removes a pin (contextmenu on the marker); elsewhere on the photo it keeps the browser's menu.
  el.mode.addEventListener('change', () => { ui.compare.classList.toggle('pinning', pinning()); });
  ui.after.addEventListener('load', place);
  ui.before.addEventListener('load', place);
  new ResizeObserver(place).observe(ui.compare);

  // ---- colorizing with the pins -----------------------------------------------------------------------------

  /** The pins as the hints file (the command line's --hints format), in the photo's pixels. */
  function hintsFile(e) {
    return {
      version: FORMAT_VERSION, width: e.job.width, height: e.job.height,
      hints: e.pins.map((p) => ({ x: p.x, y: p.y, color: p.color, radius: p.radius })),
    };
  }

  function schedule() {
    if (!entry) return;
    clearTimeout(timer);
    // A change supersedes the request in flight at once: its result would already be out of date.
    generation++;
    cancelInflight();
    setStatus('Preview after the changes…', 'waiting');
    timer = setTimeout(() => recolorize(false), DEBOUNCE_MS);
  }

  function statusOf(job) {
    const n = job.hints === 1 ? '1 hint' : `${job.hints} hints`;
    return job.full ? `Full size with ${n}, done in ${job.seconds.toFixed(1)} s.` : `Preview (render size ${job.renderSize}) with ${n}, done in ${job.seconds.toFixed(1)} s; “Full size” colorizes at the pack's size.`;
  }

  /** Forgets a job on the server so that it lets go of its result (the work budget counts what is held). */
  function forget(url) {
    if (url) fetch(url, { method: 'DELETE' }).catch(() => { /* expired or gone: nothing held */ });
  }

  function cancelInflight() {
    if (!inflight) return;
    inflight.abort.abort();
    forget(inflight.jobUrl);
    inflight = null;
  }

  /**
   * Sends the photo again with the pins as a job: the preview at a small render size, or full size at the render size
   * the photo was colorized with (empty: the pack's). A newer call supersedes this one: its job is cancelled and forgotten.
   */
  async function recolorize(full) {
    clearTimeout(timer);
    const target = entry;
    if (!target || !takesHints()) return;
    const mine = ++generation;
    cancelInflight();
    const chosen = target.options.renderSize;
    const packSize = (packOf(target) || {}).defaultRenderSize || PREVIEW_RENDER_SIZE;
    const renderSize = full ? chosen : String(Math.min(PREVIEW_RENDER_SIZE, Number(chosen) || packSize));
    const form = new FormData();
    form.append('pack', target.job.pack);
    form.append('renderSize', renderSize);
    form.append('strength', target.options.strength);
    form.append('keepLuminance', target.options.keepLuminance);
    form.append('allowTruncated', target.options.allowTruncated);
    form.append('hints', target.pins.length ? JSON.stringify(hintsFile(target)) : '');
    form.append('file', target.file, target.file.name);
    const mineNow = { abort: new AbortController(), jobUrl: null };
    inflight = mineNow;
    const current = () => generation === mine;
    setStatus(full ? 'Colorizing at full size…' : 'Colorizing the preview…', 'busy');
    try {
      let job = null;
      while (!job) {
        const response = await fetch('/api/jobs', { method: 'POST', body: form, signal: mineNow.abort.signal });
        const wait = Number(response.headers.get('Retry-After'));
        if (response.status === 202) {
          job = await response.json();
        } else if (response.status === 503 && wait > 0) {
          setStatus(`The server is busy; trying again in ${wait} s…`, 'busy');
          await new Promise((r) => setTimeout(r, wait * 1000));
          if (!current()) return;
        } else {
          throw new Error(await readError(response));
        }
      }
      mineNow.jobUrl = job.url;
      if (!current()) { forget(job.url); return; }
      while (job.status === 'queued' || job.status === 'running') {
        await new Promise((r) => setTimeout(r, POLL_MS));
        if (!current()) return; // cancelInflight forgot it
        const response = await fetch(job.url, { signal: mineNow.abort.signal });
        if (!response.ok) throw new Error(await readError(response));
        job = await response.json();
      }
      if (job.status !== 'done') throw new Error(job.error || job.status);
      inflight = null;
      job.full = full;
      job.renderSize = renderSize;
      const previous = target.shown;
      target.shown = job;
      if (previous) forget(previous.url); // never the photo's own job, which its row's Download link uses
      if (target === entry) {
        ui.after.src = job.resultUrl;
        ui.download.href = job.downloadUrl;
        ui.download.download = job.downloadName;
        el.status.dataset.job = job.id;
        setStatus(statusOf(job), 'done');
      }
    } catch (error) {
      if (error.name === 'AbortError' || !current()) return;
      inflight = null;
      setStatus(`Colorizing with the hints failed: ${error.message}`, 'failed');
    }
  }

  // ---- the hints file ---------------------------------------------------------------------------------------

  function exportFile() {
    const json = JSON.stringify(hintsFile(entry), null, 2) + '\n';
    const link = document.createElement('a');
    // A download, not an image: the CSP's default-src does not apply to it.
    link.href = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
    link.download = entry.file.name.replace(/\.[^.]*$/, '') + '-hints.json';
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  }

  /**
   * Reads a hints file with the command line's rules (HintSet.ParseJson and For): version 1, no unknown properties,
   * x and y at or right/below (0, 0), a colour #rrggbb, a radius above 0 and at most 4096 (default 4), at most
   * maxHints; width/height both or neither, scaled to this photo when the shape agrees within 1 %, refused for another
   * shape; every hint on a pixel of the photo. Returns the pins in this photo's pixels; throws with the CLI's wording.
   */
  function parseFile(text, width, height) {
    const show = (v) => { const s = v === undefined ? 'nothing' : JSON.stringify(v); return s.length <= 40 ? s : s.slice(0, 40) + '…'; };
    const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
    const allow = (o, where, names) => {
      const unknown = Object.keys(o).find((k) => !names.includes(k));
      if (unknown !== undefined) throw new Error(`${where} has an unknown property "${unknown}" (allowed: ${names.join(', ')})`);
    };
    let file;
    try { file = JSON.parse(text); } catch (e) { throw new Error(`not valid JSON: ${e.message}`); }
    if (!isObject(file)) throw new Error('expected a JSON object {"version": 1, "hints": [...]}');
    allow(file, 'the file', ['version', 'width', 'height', 'hints']);
    if (file.version !== FORMAT_VERSION) throw new Error(`"version" must be ${FORMAT_VERSION}, got ${show(file.version)}`);
    for (const name of ['width', 'height']) {
      if (name in file && !(Number.isInteger(file[name]) && file[name] > 0 && file[name] <= 0x7fffffff)) {
        throw new Error(`"${name}" must be a whole number of pixels above 0, got ${show(file[name])}`);
      }
    }
    if (('width' in file) !== ('height' in file)) throw new Error('give both "width" and "height" (the photo the hints were made on) or neither');
    if (!Array.isArray(file.hints)) throw new Error(`"hints" must be an array, got ${show(file.hints)}`);
    if (file.hints.length > maxHints()) throw new Error(`${file.hints.length} hints, more than the ${maxHints()} a colorization takes`);
    const pins = file.hints.map((item, i) => {
      const where = `hint ${i + 1}`;
      if (!isObject(item)) throw new Error(`${where} must be an object {"x", "y", "color", "radius"}, got ${show(item)}`);
      allow(item, where, ['x', 'y', 'color', 'radius']);
      for (const name of ['x', 'y', 'radius']) {
        if (name in item && typeof item[name] !== 'number') throw new Error(`${where}: "${name}" must be a number, got ${show(item[name])}`);
      }
      if (!('x' in item)) throw new Error(`${where} has no "x"`);
      if (!('y' in item)) throw new Error(`${where} has no "y"`);
      if (typeof item.color !== 'string') throw new Error(`${where}: "color" must be a string #rrggbb, got ${show(item.color)}`);
      if (!/^#[0-9a-fA-F]{6}$/.test(item.color)) throw new Error(`${where}: "color" '${item.color.slice(0, 40)}' is not a colour #rrggbb`);
      const radius = 'radius' in item ? item.radius : DEFAULT_RADIUS;
      if (!(item.x >= 0 && item.y >= 0)) throw new Error(`${where}: the position (${item.x}, ${item.y}) must be at or right/below (0, 0)`);
      if (!(radius > 0 && radius <= MAX_RADIUS)) throw new Error(`${where}: the radius ${radius} must be above 0 and at most ${MAX_RADIUS} pixels`);
      return { x: item.x, y: item.y, color: item.color.toLowerCase(), radius };
    });
    if ('width' in file && (file.width !== width || file.height !== height)) {
      const ratio = file.width / file.height, target = width / height;
      if (Math.abs(ratio - target) > ASPECT_TOLERANCE * target) {
        throw new Error(`the hints were made on a ${file.width}x${file.height} photo; this one is ${width}x${height}, another shape, so they cannot be scaled to it`);
      }
      const sx = width / file.width, sy = height / file.height;
      for (const pin of pins) {
        pin.x = Math.min(pin.x * sx, width - 0.001);
        pin.y = Math.min(pin.y * sy, height - 0.001);
        pin.radius = Math.min(Math.max(pin.radius * ((sx + sy) / 2), 0.001), MAX_RADIUS);
      }
    }
    pins.forEach((pin, i) => {
      if (pin.x >= width || pin.y >= height) throw new Error(`hint ${i + 1} at (${pin.x}, ${pin.y}) is outside the ${width}x${height} image`);
      // Three decimals, as the command line writes hints: the list and the exported file stay readable.
      pin.x = Math.round(pin.x * 1000) / 1000;
      pin.y = Math.round(pin.y * 1000) / 1000;
      pin.radius = Math.round(pin.radius * 1000) / 1000 || 0.001;
    });
    return pins;
  }

  async function importFile(file) {
    if (!file || !entry) return;
    try {
      if (file.size > MAX_FILE_BYTES) throw new Error(`the file is ${file.size} bytes, more than the ${MAX_FILE_BYTES} a hints file may have`);
      const { width, height } = size();
      entry.pins = parseFile(await file.text(), width, height);
      selected = null;
      rebuild();
      schedule();
      setStatus(`Imported ${entry.pins.length === 1 ? '1 hint' : entry.pins.length + ' hints'} from ${file.name}; preview after the changes…`, 'waiting');
    } catch (error) {
      // Beside the pins, where the user is looking; the pins stay as they were.
      setStatus(`hints: ${file.name}: ${error.message}`, 'failed');
    }
  }

  el.full.addEventListener('click', () => recolorize(true));
  el.exportButton.addEventListener('click', exportFile);
  el.importInput.addEventListener('change', () => {
    importFile(el.importInput.files[0]);
    el.importInput.value = ''; // the same file may be imported again
  });

  return { show, refresh, claims };
})();
