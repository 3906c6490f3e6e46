// Drives the `colorize serve` page in Debian's chromium, headless, as a person would:
//   node upload.mjs <url> <photo> <screenshot.png> [--damaged <truncated photo>] [<more photos for a batch>...]
// 1. opens the page with the pack list held back, checks the form works before it arrives (an empty choice is the
// default pack), then that at 1280 px the options stay on one row; 2. chooses <photo> through the file input and
// presses Colorize; 3. waits for the before/after images, drags the divider and checks it moved; 4. downloads the
// result and checks it is a PNG or JPEG of the photo's size; 5. drops the other photos on the page as a batch and waits
// for every row; 6. with --damaged: the truncated photo fails with the decoder's message, then with "Colorize damaged
// photos" ticked it is done with a warning; 7. saves a screenshot. Any failure, console error or CSP violation exits 1
// with one line saying what.
import { chromium } from 'playwright-core';
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';

const args = process.argv.slice(2);
const damagedAt = args.indexOf('--damaged');
const damaged = damagedAt >= 0 ? args.splice(damagedAt, 2)[1] : null;
const [url, photo, screenshot, ...batch] = args;
if (!url || !photo || !screenshot || (damagedAt >= 0 && !damaged)) {
  console.error('usage: node upload.mjs <url> <photo> <screenshot.png> [--damaged <truncated photo>] [<more photos>...]');
  process.exit(2);
}

const timeout = 30_000;

function fail(message) {
  throw new Error(message);
}

/** Width and height from a PNG's IHDR or a JPEG's SOF marker; null for anything else. */
function imageSize(bytes) {
  if (bytes.length > 24 && bytes.readUInt32BE(0) === 0x89504e47) {
    return { format: 'png', width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes.length > 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let i = 2;
    while (i + 9 < bytes.length) {
      if (bytes[i] !== 0xff) return null;
      const marker = bytes[i + 1];
      if (marker === 0xff) { i++; continue; }
      const length = bytes.readUInt16BE(i + 2);
      const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
      if (isFrame) return { format: 'jpeg', height: bytes.readUInt16BE(i + 5), width: bytes.readUInt16BE(i + 7) };
      i += 2 + length;
    }
  }
  return null;
}

/** Drops files on an element through a real DataTransfer, as dragging them from a file manager does. */
async function dropFiles(page, selector, paths) {
  const types = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.bmp': 'image/bmp', '.tif': 'image/tiff', '.tiff': 'image/tiff' };
  const files = await Promise.all(paths.map(async (path) => ({
    name: basename(path),
    type: types[extname(path).toLowerCase()] || 'application/octet-stream',
    data: (await readFile(path)).toString('base64'),
  })));
  const dataTransfer = await page.evaluateHandle((list) => {
    const transfer = new DataTransfer();
    for (const file of list) {
      const bytes = Uint8Array.from(atob(file.data), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], file.name, { type: file.type }));
    }
    return transfer;
  }, files);
  await page.dispatchEvent(selector, 'dragenter', { dataTransfer });
  await page.dispatchEvent(selector, 'dragover', { dataTransfer });
  await page.dispatchEvent(selector, 'drop', { dataTransfer });
  await dataTransfer.dispose();
}

const problems = [];
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  // Playwright would add its own --headless; the flags are given here explicitly instead.
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
    // A download's navigation is reported as aborted; that one is expected.
    if (!request.url().includes('download=1')) problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
  });

  // 1. The page, with its pack list held back for a while as on a slow machine: the pack choice must not be empty
  // and the form must work meanwhile (an empty choice is the server's default pack).
  let releasePacks;
  const packsHeld = new Promise((resolve) => { releasePacks = resolve; });
  await page.route('**/api/packs', async (route) => { await packsHeld; await route.continue(); });
  const response = await page.goto(url);
  if (!response || !response.ok()) fail(`GET ${url} answered ${response && response.status()}`);
  const csp = response.headers()['content-security-policy'] || '';
  if (!csp.startsWith("default-src 'self'")) fail(`the page's CSP is '${csp}'`);
  const waiting = await page.$eval('#pack', (select) => ({ count: select.options.length, value: select.value, text: select.selectedOptions[0]?.text || '' }));
  if (waiting.count === 0 || waiting.value !== '' || !/default pack/i.test(waiting.text)) {
    fail(`before the pack list arrives the pack choice is ${JSON.stringify(waiting)}`);
  }
  await page.setInputFiles('#file', photo);
  await page.waitForFunction(() => !document.getElementById('colorize').disabled);
  releasePacks();
  await page.waitForFunction(() => [...document.querySelectorAll('#pack option')].some((o) => o.value !== ''));
  const pack = await page.$eval('#pack', (select) => select.value);

  // At 1280 px every option shares one row, whatever the length of the pack names (each overlaps the others vertically).
  const boxes = await page.$$eval('.options > *', (items) => items.map((item) => {
    const box = item.getBoundingClientRect();
    return { what: item.id || item.className || item.tagName, top: box.top, bottom: box.bottom };
  }));
  const lowestTop = Math.max(...boxes.map((b) => b.top));
  const highestBottom = Math.min(...boxes.map((b) => b.bottom));
  if (lowestTop >= highestBottom) fail(`at 1280 px the options wrap onto a second row: ${JSON.stringify(boxes)}`);

  // 2. Colorize the photo chosen above.
  await page.click('#colorize');

  // 3. The before/after viewer: both images decoded, then drag the divider to a quarter of the width.
  await page.waitForFunction(() => {
    const before = document.getElementById('before');
    const after = document.getElementById('after');
    return !document.getElementById('viewer').hidden && before.complete && before.naturalWidth > 0 && after.complete && after.naturalWidth > 0;
  });
  const natural = await page.$eval('#before', (img) => ({ width: img.naturalWidth, height: img.naturalHeight }));
  const afterSize = await page.$eval('#after', (img) => ({ width: img.naturalWidth, height: img.naturalHeight }));
  if (natural.width !== afterSize.width || natural.height !== afterSize.height) {
    fail(`before is ${natural.width}x${natural.height} but after is ${afterSize.width}x${afterSize.height}`);
  }
  const box = await page.locator('#compare').boundingBox();
  if (!box || box.width < 50) fail('the comparison view has no size');
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.5, { steps: 4 });
  await page.mouse.move(box.x + box.width * 0.25, box.y + box.height * 0.5, { steps: 4 });
  await page.mouse.up();
  const divider = Number(await page.getAttribute('#divider', 'aria-valuenow'));
  if (Math.abs(divider - 25) > 2) fail(`after dragging to 25% the divider is at ${divider}%`);
  const clip = await page.$eval('#after', (img) => getComputedStyle(img).clipPath);
  if (!clip.includes('25')) fail(`the after image is clipped as '${clip}' after the drag`);

  // 4. Download the result and check it.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  const name = download.suggestedFilename();
  const stem = basename(photo).replace(/\.[^.]*$/, '');
  if (!name.startsWith(`${stem}-colorized.`)) fail(`the download is named '${name}'`);
  const bytes = await readFile(await download.path());
  const size = imageSize(bytes);
  if (!size) fail(`the download '${name}' is neither PNG nor JPEG`);
  if (size.width !== natural.width || size.height !== natural.height) {
    fail(`the download is ${size.width}x${size.height} but the photo is ${natural.width}x${natural.height}`);
  }

  // 5. A batch, dropped onto the drop zone as a person would drag files in: each gets its row, then the overall bar is full.
  if (batch.length > 0) {
    await dropFiles(page, '#drop', batch);
    const picked = await page.textContent('#picked');
    if (!picked.startsWith(batch.length === 1 ? basename(batch[0]) : `${batch.length} photos chosen`)) fail(`after the drop the page says '${picked}'`);
    await page.click('#colorize');
    const total = 1 + batch.length;
    await page.waitForFunction((n) => document.getElementById('overallText').textContent.startsWith(`${n} of ${n} done`), total);
    const rows = await page.$$eval('#jobs li.done', (items) => items.length);
    if (rows !== total) fail(`${rows} of ${total} rows are done`);
    const overall = await page.$eval('#overall', (bar) => bar.value);
    if (overall !== 1) fail(`the overall progress is ${overall} after every photo is done`);
    const links = await page.$$eval('#jobs li.done a[download]', (items) => items.map((a) => a.getAttribute('href')));
    if (links.length !== total) fail(`${links.length} download links for ${total} photos`);
  }

  // 6. A truncated photo: refused with the decoder's message and a hint; with "Colorize damaged photos" ticked, done
  // with a warning that only the decoded part was colorized.
  if (damaged) {
    const rows = () => page.$$eval('#jobs li', (items) => items.length);
    const lastRow = () => page.$eval('#jobs li:last-child', (li) => ({ cls: li.className, state: li.querySelector('.state').textContent }));
    await page.waitForFunction(() => !document.getElementById('colorize').disabled);
    let before = await rows();
    await page.setInputFiles('#file', damaged);
    await page.click('#colorize');
    await page.waitForFunction((n) => document.querySelectorAll('#jobs li').length > n && /failed/.test(document.querySelector('#jobs li:last-child').className), before);
    const refused = await lastRow();
    if (!/^truncated JPEG: \d+ of \d+ rows decoded/.test(refused.state) || !refused.state.includes('Colorize damaged photos')) fail(`the truncated photo's row says '${refused.state}'`);
    await page.waitForFunction(() => !document.getElementById('colorize').disabled);
    await page.check('#allowTruncated');
    before = await rows();
    await page.setInputFiles('#file', damaged);
    await page.click('#colorize');
    await page.waitForFunction((n) => document.querySelectorAll('#jobs li').length > n && /done|failed/.test(document.querySelector('#jobs li:last-child').className), before);
    const allowed = await lastRow();
    if (!/\bwarned\b/.test(allowed.cls) || !allowed.state.includes('colorized the decoded part')) fail(`with damaged photos allowed the row is '${allowed.cls}': '${allowed.state}'`);
  }

  // The page is ready for more once everything has finished.
  await page.waitForFunction(() => !document.getElementById('colorize').disabled);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: screenshot, fullPage: true });
  if (problems.length > 0) fail(problems.join('; '));
  console.log(JSON.stringify({ ok: true, pack, download: name, width: size.width, height: size.height, format: size.format, divider, batch: batch.length, damaged: !!damaged }));
} catch (error) {
  console.error(`browser test failed: ${error.message}${problems.length ? ` (also: ${problems.join('; ')})` : ''}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
