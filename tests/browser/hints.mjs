// Drives colour hints in the `colorize serve` page (issue 16 §4) in Debian's chromium, headless, as a person would:
//   node hints.mjs <url> <photo.png> <hint pack reference> <no-hint pack reference> <folder for downloads> [<screenshot.png>]
// The hint pack is the test engine hint-paint (tests/plugins/Colorize.TestPlugins.Hints): its result is the photo in
// grey with each hint's disc painted in the hint's colour, so a pixel of the result says whether a pin arrived where
// it was put and in its colour. The script: 1. colorizes with the pack that takes no hints: pinning is off with a note;
// 2. colorizes with the hint pack; 3. clicks on the photo: a pin whose colour starts as the result's colour there;
// 4. picks a colour: the preview (render size 256) is painted at that spot; 5. drags the pin: the colour moves;
// 6. exports the pins, removes the pin with the Delete key, imports the file: the same pin comes back; 7. right-click
// and ✕ remove pins, a malformed file is refused, two quick colour changes end with the last one; 8. full size.
// Any failure, console error or CSP violation exits 1 with one line saying what; success prints one JSON line.
import { chromium } from 'playwright-core';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const [url, photo, hintPack, plainPack, folder, screenshot] = process.argv.slice(2);
if (!url || !photo || !hintPack || !plainPack || !folder) {
  console.error('usage: node hints.mjs <url> <photo.png> <hint pack reference> <no-hint pack reference> <folder for downloads>');
  process.exit(2);
}

const timeout = 30_000;
const fail = (message) => { throw new Error(message); };
const near = (a, b, tolerance = 3) => a.every((v, i) => Math.abs(v - b[i]) <= tolerance);
const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
const isGrey = (p) => Math.abs(p[0] - p[1]) <= 2 && Math.abs(p[1] - p[2]) <= 2;

const problems = [];
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: false,
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  timeout,
});

try {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  page.on('console', (message) => { if (message.type() === 'error') problems.push(`console: ${message.text()}`); });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    // A superseded preview's request is aborted on purpose (and so is a download's navigation).
    const aborted = request.failure()?.errorText === 'net::ERR_ABORTED';
    if (!(aborted && (request.url().includes('/api/jobs') || request.url().startsWith('blob:')))) {
      problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
    }
  });
  // The forms the page sends to colorize with hints (fetch; the first upload of a photo is an XMLHttpRequest). The
  // protocol does not show a multipart body made of a File, so the page's fetch is watched instead (an init script is
  // the browser's own, outside the page's CSP).
  await page.addInitScript(() => {
    const fetch = window.fetch;
    window.sentForms = [];
    window.fetch = (input, init) => {
      if (init && init.body instanceof FormData) window.sentForms.push(Object.fromEntries([...init.body].filter(([, v]) => typeof v === 'string')));
      return fetch(input, init);
    };
  });

  // In the page: the result's pixel at a photo position (a canvas reading the same-origin result image), the client
  // position of a photo position, and the pins as the list shows them.
  const pixelAt = (x, y) => page.evaluate(([x, y]) => {
    const img = document.getElementById('after');
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 1;
    const g = canvas.getContext('2d');
    g.drawImage(img, Math.floor(x), Math.floor(y), 1, 1, 0, 0, 1, 1);
    return Array.from(g.getImageData(0, 0, 1, 1).data.slice(0, 3));
  }, [x, y]);
  const clientAt = (x, y) => page.evaluate(([x, y]) => {
    const img = document.getElementById('before');
    const box = img.getBoundingClientRect();
    const scale = Math.min(box.width / img.naturalWidth, box.height / img.naturalHeight);
    const left = box.left + (box.width - img.naturalWidth * scale) / 2, top = box.top + (box.height - img.naturalHeight * scale) / 2;
    return { x: left + x * scale, y: top + y * scale };
  }, [x, y]);
  const pins = () => page.$$eval('#pinList li', (items) => items.map((li) => {
    const m = /\(([\d.]+), ([\d.]+)\)/.exec(li.querySelector('.where').textContent);
    return { x: Number(m[1]), y: Number(m[2]), color: li.querySelector('input[type=color]').value, radius: Number(li.querySelector('input[type=number]').value) };
  }));
  const markers = () => page.$$eval('#pins .pin', (items) => items.length);
  const shownJob = () => page.$eval('#hintStatus', (s) => s.dataset.job || '');
  /** Waits for the colorization after a change: a new job done and its result decoded in the viewer. */
  const waitPreview = async (previous, what) => {
    try {
      await page.waitForFunction((prev) => {
        const status = document.getElementById('hintStatus');
        const img = document.getElementById('after');
        return status.dataset.state === 'done' && status.dataset.job && status.dataset.job !== prev
          && img.src.endsWith(`/api/jobs/${status.dataset.job}/result`) && img.complete && img.naturalWidth > 0;
      }, previous);
    } catch {
      fail(`no new result after ${what}: the status says '${await page.textContent('#hintStatus')}'`);
    }
    return shownJob();
  };
  const colorize = async (pack) => {
    const rows = await page.$$eval('#jobs li', (items) => items.length);
    await page.selectOption('#pack', pack);
    await page.setInputFiles('#file', photo);
    await page.click('#colorize');
    await page.waitForFunction((n) => document.querySelectorAll('#jobs li.done').length > n, rows);
    await page.click('#jobs li:last-child button'); // View
    await page.waitForFunction(() => {
      const img = document.getElementById('after');
      return !document.getElementById('viewer').hidden && img.complete && img.naturalWidth > 0;
    });
  };

  const response = await page.goto(url);
  if (!response || !response.ok()) fail(`GET ${url} answered ${response && response.status()}`);
  await page.waitForFunction((p) => [...document.querySelectorAll('#pack option')].some((o) => o.value === p), hintPack);

  // 1. A pack that takes no hints: pinning is disabled with a note, and a click on the photo pins nothing.
  await colorize(plainPack);
  if (await page.isHidden('#hints')) fail('the hints panel is hidden under a photo');
  if (!(await page.isDisabled('#pinMode'))) fail(`pinning is enabled for ${plainPack}, which takes no hints`);
  const note = await page.textContent('#hintNote');
  if (!note.includes('does not take colour hints')) fail(`for a pack without hints the note says '${note}'`);
  const somewhere = await clientAt(100, 100);
  await page.mouse.click(somewhere.x, somewhere.y);
  if ((await markers()) !== 0 || (await pins()).length !== 0) fail('a click pinned a hint with a pack that takes none');

  // 2. The hint pack.
  await colorize(hintPack);
  if (await page.isDisabled('#pinMode')) fail(`pinning is disabled for ${hintPack}, which takes hints`);
  if (!(await page.isChecked('#pinMode'))) fail('pinning is not on for a pack that takes hints');
  const { width, height } = await page.$eval('#after', (img) => ({ width: img.naturalWidth, height: img.naturalHeight }));

  // 3. Click to pin: the picker starts at the result's colour under the cursor.
  const first = { x: Math.round(width * 0.25) + 0.5, y: Math.round(height * 0.25) + 0.5 };
  const under = await pixelAt(first.x, first.y);
  let job = await shownJob();
  const at = await clientAt(first.x, first.y);
  await page.mouse.click(at.x, at.y);
  let list = await pins();
  if (list.length !== 1 || (await markers()) !== 1) fail(`after one click there are ${list.length} pins and ${await markers()} markers`);
  if (Math.abs(list[0].x - first.x) > 1 || Math.abs(list[0].y - first.y) > 1) fail(`clicked at (${first.x}, ${first.y}) of the photo, pinned at (${list[0].x}, ${list[0].y})`);
  if (!near(rgb(list[0].color), under, 1)) fail(`the picker starts at ${list[0].color}, the result there is rgb(${under})`);
  if (!/1 hint pinned/.test(await page.textContent('#pinCount'))) fail(`the count says '${await page.textContent('#pinCount')}'`);
  job = await waitPreview(job, 'pinning');

  // 4. Pick a colour: the preview paints it at the pin, and far from it the photo stays grey.
  const red = '#e01070';
  await page.fill('#pinList li:first-child input[type=color]', red);
  job = await waitPreview(job, 'picking a colour');
  const painted = await pixelAt(first.x, first.y);
  if (!near(painted, rgb(red))) fail(`after picking ${red} the preview is rgb(${painted}) at the pin`);
  const far = { x: width * 0.9, y: height * 0.9 };
  if (!isGrey(await pixelAt(far.x, far.y))) fail(`far from the pin the preview is rgb(${await pixelAt(far.x, far.y)}), not grey`);

  // 5. Drag the pin: the colour moves with it.
  const second = { x: Math.round(width * 0.7) + 0.5, y: Math.round(height * 0.6) + 0.5 };
  const box = await page.locator('#pins .pin').boundingBox();
  const to = await clientAt(second.x, second.y);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move((box.x + to.x) / 2, (box.y + to.y) / 2, { steps: 5 });
  await page.mouse.move(to.x, to.y, { steps: 5 });
  await page.mouse.up();
  job = await waitPreview(job, 'dragging the pin');
  list = await pins();
  if (list.length !== 1 || Math.abs(list[0].x - second.x) > 1.5 || Math.abs(list[0].y - second.y) > 1.5) fail(`dragged to (${second.x}, ${second.y}), the pins are ${JSON.stringify(list)}`);
  if (!near(await pixelAt(second.x, second.y), rgb(red))) fail(`after the drag the preview is rgb(${await pixelAt(second.x, second.y)}) at the pin`);
  if (!isGrey(await pixelAt(first.x, first.y))) fail(`after the drag the old spot is still rgb(${await pixelAt(first.x, first.y)})`);

  // 6. Export, remove with the Delete key, import: the same pin.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#exportHints')]);
  if (!/-hints\.json$/.test(download.suggestedFilename())) fail(`the export is named '${download.suggestedFilename()}'`);
  const exported = join(folder, download.suggestedFilename());
  await download.saveAs(exported);
  const file = JSON.parse(await readFile(exported, 'utf8'));
  if (file.version !== 1 || file.width !== width || file.height !== height || file.hints.length !== 1) fail(`the exported file is ${JSON.stringify(file)}`);
  const saved = file.hints[0];
  if (saved.x !== list[0].x || saved.y !== list[0].y || saved.color !== red || saved.radius !== list[0].radius) fail(`exported ${JSON.stringify(saved)} for the pin ${JSON.stringify(list[0])}`);

  await page.focus('#pins .pin');
  await page.keyboard.press('Delete');
  if ((await pins()).length !== 0 || (await markers()) !== 0) fail('the Delete key did not remove the pin');
  job = await waitPreview(job, 'removing the pin');
  if (!isGrey(await pixelAt(second.x, second.y))) fail(`with no pins the preview is rgb(${await pixelAt(second.x, second.y)}) where the pin was`);

  await page.setInputFiles('#importHints', exported);
  await page.waitForFunction(() => document.querySelectorAll('#pinList li').length === 1);
  list = await pins();
  if (list[0].x !== saved.x || list[0].y !== saved.y || list[0].color !== saved.color || list[0].radius !== saved.radius) fail(`imported ${JSON.stringify(list[0])} from ${JSON.stringify(saved)}`);
  job = await waitPreview(job, 'importing');
  if (!near(await pixelAt(second.x, second.y), rgb(red))) fail(`after the import the preview is rgb(${await pixelAt(second.x, second.y)}) at the pin`);

  // 7. Right-click and ✕ remove pins; a misspelt property is refused as the command line refuses it.
  const third = await clientAt(width * 0.1, height * 0.8);
  await page.mouse.click(third.x, third.y);
  await page.waitForFunction(() => document.querySelectorAll('#pins .pin').length === 2);
  await page.click('#pins .pin:nth-child(2)', { button: 'right' });
  if ((await pins()).length !== 1) fail('a right-click did not remove the pin');
  await page.mouse.click(third.x, third.y);
  await page.waitForFunction(() => document.querySelectorAll('#pins .pin').length === 2);
  await page.click('#pinList li:nth-child(2) .remove');
  list = await pins();
  if (list.length !== 1 || list[0].x !== saved.x) fail(`after ✕ the pins are ${JSON.stringify(list)}`);
  job = await waitPreview(job, 'removing pins');
  const bad = join(folder, 'bad-hints.json');
  await writeFile(bad, JSON.stringify({ version: 1, hints: [{ x: 1, y: 1, colour: '#ff0000' }] }));
  await page.setInputFiles('#importHints', bad);
  await page.waitForFunction(() => /unknown property/.test(document.getElementById('hintStatus').textContent));
  const refused = await page.textContent('#hintStatus');
  if (!refused.includes('hint 1 has an unknown property "colour"')) fail(`a misspelt file says '${refused}'`);
  if ((await pins()).length !== 1) fail('a refused file changed the pins');

  // Two quick changes make one preview, with the later colour.
  const blue = '#2040e0';
  await page.fill('#pinList li:first-child input[type=color]', '#10a040');
  await page.fill('#pinList li:first-child input[type=color]', blue);
  job = await waitPreview(job, 'two colour changes');
  if (!near(await pixelAt(second.x, second.y), rgb(blue))) fail(`after two quick changes the preview is rgb(${await pixelAt(second.x, second.y)}), not ${blue}`);

  // 8. Full size on demand, with the same pins.
  await page.click('#fullSize');
  job = await waitPreview(job, 'Full size');
  if (!/^Full size/.test(await page.textContent('#hintStatus'))) fail(`after Full size the status says '${await page.textContent('#hintStatus')}'`);
  if (!near(await pixelAt(second.x, second.y), rgb(blue))) fail('the full-size result lost the pin');

  // What the page sent: previews at render size 256 (or the pack's own when smaller: the test pack's is 64), full size
  // at the photo's (empty: the pack's), the hints in the photo's own pixels.
  const packSize = await page.evaluate(async (p) => (await (await fetch('/api/packs')).json()).packs.find((x) => x.reference === p).defaultRenderSize, hintPack);
  const preview = String(Math.min(256, packSize));
  const hinted = await page.evaluate(() => window.sentForms);
  if (hinted.length < 8 || hinted.some((form) => form.pack !== hintPack)) fail(`the colorizations with hints were sent as ${JSON.stringify(hinted)}`);
  const sizes = hinted.map((form) => form.renderSize);
  if (!sizes.slice(0, -1).every((s) => s === preview) || sizes[sizes.length - 1] !== '') fail(`the render sizes sent were ${JSON.stringify(sizes)}`);
  for (const form of hinted.filter((f) => f.hints)) {
    const sent = JSON.parse(form.hints);
    if (sent.width !== width || sent.height !== height) fail(`hints sent as ${form.hints}`);
  }

  if (screenshot) {
    await page.mouse.move(0, 0);
    await page.screenshot({ path: screenshot, fullPage: true });
  }
  if (problems.length > 0) fail(problems.join('; '));
  console.log(JSON.stringify({ ok: true, width, height, previews: hinted.length, exported: saved }));
} catch (error) {
  console.error(`browser hints test failed: ${error.message}${problems.length ? ` (also: ${problems.join('; ')})` : ''}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
