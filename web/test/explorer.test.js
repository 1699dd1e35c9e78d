// The interactive page in a real browser: Debian's chromium, headless, driven by puppeteer-core.
// Usage: node explorer.test.js MICROGRAD_PROGRAM OUTPUT_DIR
// Writes the lecture's page with the program, loads it from file://, clicks and types as a learner
// would, and asserts the numbers shown (the lecture's -8, 6, -4, -2, 4; the neuron's 0.7071 and
// -1.5) and that no console error occurs. Screenshots go to OUTPUT_DIR (a reviewer looks at them).
'use strict';

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const puppeteer = require('puppeteer-core');

const [program, outDir] = process.argv.slice(2);
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const page_ = path.join(outDir, 'L.html');
  execFileSync(program, ['grad', 'e = a*b; d = e + c; L = d*f', 'a=2', 'b=-3', 'c=10', 'f=-2',
    '--html', page_]);

  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ['--no-sandbox', '--allow-file-access-from-files'],
  });
  const problems = [];
  try {
    const page = await browser.newPage();
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    await page.setViewport({ width: 1280, height: 800 });
    await page.goto(`file://${page_}`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });

    const text = (sel) => page.$eval(sel, (e) => e.textContent);
    // The table: name -> [op, data, grad], as shown.
    const table = () => page.$$eval('#values tbody tr', (rows) => Object.fromEntries(
      rows.map((r) => { const c = [...r.cells].map((x) => x.textContent); return [c[0], c.slice(1)]; })));
    // The graph: the record texts of the node named `name` (label, "data ...", "grad ...").
    const record = (name) => page.$$eval('#graph g.node', (gs, n) => {
      for (const g of gs) {
        const t = [...g.querySelectorAll('text')].map((x) => x.textContent);
        if (t[0] === n) return t;
      }
      return null;
    }, name);
    const click = async (id) => { await page.click(`#${id}`); };

    // Before backward: the forward numbers, every grad 0.
    assert.match(await text('#step-info'), /before backward \(4 steps\)/);
    let t = await table();
    assert.deepEqual(t.L, ['*', '-8.0', '0.0']);
    assert.deepEqual(t.e, ['*', '-6.0', '0.0']);
    assert.deepEqual(await record('L'), ['L', 'data -8.0000', 'grad 0.0000']);

    await click('step');  // step 0: the root
    assert.equal(await text('#step-info'), 'step 0 of 3');
    assert.match(await text('#chain-rule'), /dL\/dL = 1\.0/);
    assert.deepEqual(await record('L'), ['L', 'data -8.0000', 'grad 1.0000']);

    await click('step');  // L = d*f
    assert.match(await text('#chain-rule'), /dL\/dd = dL\/dL \* dL\/dd = 1\.0 \* -2\.0 = -2\.0/);
    assert.match(await text('#chain-rule'), /dL\/df = dL\/dL \* dL\/df = 1\.0 \* 4\.0 = 4\.0/);
    await click('step');  // d = e + c
    await click('step');  // e = a*b
    const chain = await text('#chain-rule');
    assert.match(chain, /dL\/da = dL\/de \* de\/da = -2\.0 \* -3\.0 = 6\.0/);
    assert.match(chain, /dL\/db = dL\/de \* de\/db = -2\.0 \* 2\.0 = -4\.0/);
    t = await table();
    assert.equal(t.a[2], '6.0');
    assert.equal(t.b[2], '-4.0');
    assert.equal(t.c[2], '-2.0');
    assert.equal(t.f[2], '4.0');
    assert.equal(t.e[2], '-2.0');
    assert.deepEqual(await record('a'), ['a', 'data 2.0000', 'grad 6.0000']);
    // Highlighted: e's record and its op node; its children a and b.
    const marked = (cls) => page.$$eval(`#graph g.node.${cls}`,
      (gs) => gs.map((g) => g.querySelector('text').textContent).sort());
    assert.deepEqual(await marked('current'), ['*', 'e']);
    assert.deepEqual(await marked('child'), ['a', 'b']);
    assert.equal(await page.$eval('#step', (b) => b.disabled), true);  // the last step
    await page.screenshot({ path: path.join(outDir, 'expression-1280x800.png'), fullPage: true });

    await click('back');
    assert.equal((await table()).a[2], '0.0');
    assert.equal(await text('#step-info'), 'step 2 of 3');
    await click('reset');
    assert.match(await text('#step-info'), /before backward/);
    assert.deepEqual(await record('a'), ['a', 'data 2.0000', 'grad 0.0000']);

    await click('play');  // plays to the end by itself
    await page.waitForFunction(() => document.getElementById('step-info').textContent === 'step 3 of 3',
      { timeout: 10000 });
    assert.equal(await text('#play'), 'Play');

    // The keyboard: arrows step back and forth when no input has focus.
    await page.$eval('#graph', (e) => e.focus());
    await page.keyboard.press('ArrowLeft');
    assert.equal(await text('#step-info'), 'step 2 of 3');
    await page.keyboard.press('Home');
    assert.match(await text('#step-info'), /before backward/);
    await page.keyboard.press('End');
    assert.equal(await text('#step-info'), 'step 3 of 3');

    // Edit a value: forward and backward are recomputed at once (by the WebAssembly engine).
    await page.click('#var-a', { clickCount: 3 });
    await page.keyboard.type('3');
    t = await table();
    assert.equal(t.L[1], '-2.0');  // (3*-3 + 10) * -2
    assert.equal(t.a[2], '6.0');
    assert.equal(t.b[2], '-6.0');

    // Edit the expression: the lecture's neuron.
    await page.$eval('#expression', (e) => { e.focus(); e.select(); });
    await page.keyboard.type('o = tanh(x1*w1 + x2*w2 + b)');
    for (const [name, value] of [['x1', '2'], ['x2', '0'], ['w1', '-3'], ['w2', '1'],
      ['b', '6.8813735870195432']]) {
      await page.click(`#var-${name}`, { clickCount: 3 });
      await page.keyboard.type(value);
    }
    t = await table();
    assert.equal(t.o[1], '0.7071067811865476');
    assert.equal(t.x1[2], '-1.4999999999999996');
    assert.equal(t.w1[2], '0.9999999999999998');
    assert.deepEqual(await record('o'), ['o', 'data 0.7071', 'grad 1.0000']);
    assert.deepEqual(await record('x1'), ['x1', 'data 2.0000', 'grad -1.5000']);
    assert.equal(await text('#error'), '');
    await page.screenshot({ path: path.join(outDir, 'neuron-1280x800.png'), fullPage: true });

    // A mistake in the expression: a clear message, the last good graph stays.
    await page.click('#expression');
    await page.keyboard.press('End');
    await page.keyboard.type(' *');
    assert.equal(await text('#error'),
      "column 30: expected a number, a variable or '(' but the expression ended");
    assert.equal((await table()).o[1], '0.7071067811865476');

    // A phone-sized screen (setting it reloads the page): everything stacks and stays usable.
    await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
    for (let k = 0; k < 4; k += 1) await page.tap('#step');
    assert.equal(await text('#step-info'), 'step 3 of 3');
    assert.equal((await table()).a[2], '6.0');
    await page.screenshot({ path: path.join(outDir, 'expression-390x844.png'), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    assert.equal(overflow, false, 'the page is wider than a phone screen');

    await lecturePage(browser, problems);
    await trainingPage(browser, problems);
  } finally {
    await browser.close();
  }
  assert.deepEqual(problems, []);
  console.log(`explorer page: every check passed; screenshots in ${outDir}`);
}

// The lecture's page: each part's numbers, its plot, and its graph stepped through.
async function lecturePage(browser, problems) {
  const file = path.join(outDir, 'lecture.html');
  execFileSync(program, ['lecture', '--html', file]);
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`lecture console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`lecture page error: ${e.message}`));
  await page.setViewport({ width: 1280, height: 800 });
  await page.goto(`file://${file}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
  const text = (sel) => page.$eval(sel, (e) => e.textContent);
  const lines = () => page.$$eval('#part-lines tr', (rows) => Object.fromEntries(
    rows.map((r) => [r.cells[0].textContent, r.cells[1].textContent])));
  const table = () => page.$$eval('#values tbody tr', (rows) => Object.fromEntries(
    rows.map((r) => { const c = [...r.cells].map((x) => x.textContent); return [c[0], c.slice(1)]; })));
  const parts = await page.$$eval('#parts button', (bs) => bs.map((b) => b.textContent));
  assert.equal(parts.length, 5);
  const part = async (k) => { await page.click(`#parts button:nth-child(${k})`); };

  // 1: the derivative, a plot drawn by gnuplot, no graph.
  assert.match(await text('#part-title'), /derivative/);
  assert.equal((await lines())['f(3.0)'], '20.0');
  assert.equal((await lines())['slope of d in c'], '0.9999999999976694');
  assert.equal(await page.$eval('#part-plot', (i) => !i.hidden && i.complete && i.naturalWidth > 0), true);
  assert.equal(await page.$eval('#inputs', (e) => e.hidden), true);
  await page.screenshot({ path: path.join(outDir, 'lecture-1-derivative.png'), fullPage: true });

  // 2: L and its backprop: -8, then 6, -4, -2, 4 after stepping to the end.
  await part(2);
  assert.equal((await lines()).L, '-8.0');
  assert.equal((await lines())['(L(a + h) - L)/h'], '6.000000000000227');
  assert.match(await text('#step-info'), /before backward/);
  for (let k = 0; k < 4; k += 1) await page.click('#step');
  let t = await table();
  assert.deepEqual([t.L[1], t.a[2], t.b[2], t.c[2], t.f[2]], ['-8.0', '6.0', '-4.0', '-2.0', '4.0']);
  assert.match(await text('#chain-rule'), /dL\/da = dL\/de \* de\/da = -2\.0 \* -3\.0 = 6\.0/);

  // 3: the neuron, stepped to the end: 0.7071 and -1.5 in the graph's records.
  await part(3);
  await page.click('#play');
  await page.waitForFunction(() => /step (\d+) of \1/.test(document.getElementById('step-info').textContent),
    { timeout: 20000 });
  t = await table();
  assert.equal(t.o[1], '0.7071067811865476');
  assert.equal(t.x1[2], '-1.4999999999999996');
  const record = await page.$$eval('#graph g.node', (gs) => gs.map((g) =>
    [...g.querySelectorAll('text')].map((x) => x.textContent).join(' | ')));
  assert.ok(record.includes('o | data 0.7071 | grad 1.0000'), record.join('\n'));
  assert.ok(record.includes('x1 | data 2.0000 | grad -1.5000'));
  await page.screenshot({ path: path.join(outDir, 'lecture-3-neuron.png'), fullPage: true });

  // 4: tanh through exp: the same gradients (-1.5 here, exactly).
  await part(4);
  await page.keyboard.press('End');
  assert.equal((await lines())['do/dx1'], '-1.5');
  assert.equal((await table()).x1[2], '-1.5');

  // 5: the MLP's training: 20 losses falling, and the curve.
  await part(5);
  const l = await lines();
  assert.ok(Number(l['step 19 loss']) < Number(l['step 0 loss']) / 10);
  assert.equal(await page.$eval('#part-plot', (i) => i.complete && i.naturalWidth > 0), true);
  assert.equal(await page.$eval('#graph-panel', (e) => e.hidden), true);
  await page.screenshot({ path: path.join(outDir, 'lecture-5-mlp.png'), fullPage: true });
  await phone(page, 'lecture');
}

// A phone-sized screen (setting it reloads the page): the page fits its width.
async function phone(page, name) {
  await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
  await page.screenshot({ path: path.join(outDir, `${name}-390x844.png`), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  assert.equal(overflow, false, `the ${name} page is wider than a phone screen`);
}

// The training page of micrograd's demo: the slider, the curves' marker, the boundary, the graph.
async function trainingPage(browser, problems) {
  const file = path.join(outDir, 'train.html');
  execFileSync(program, ['train', '--quiet', '--no-plots', '--out', path.join(outDir, 'train-out'),
    '--html', file]);
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`train console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`train page error: ${e.message}`));
  await page.setViewport({ width: 1280, height: 800 });
  await page.goto(`file://${file}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
  const text = (sel) => page.$eval(sel, (e) => e.textContent);
  const marker = () => page.$eval('#loss-curve .marker', (m) => parseFloat(m.style.left));
  const pixels = () => page.$eval('#boundary', (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 97) sum += d[i];
    return sum;
  });
  const records = () => page.$$eval('#graph g.node', (gs) => gs.map((g) =>
    [...g.querySelectorAll('text')].map((x) => x.textContent).join(' | ')));

  // It opens at the last step: micrograd's demo's last line.
  assert.equal(await page.$eval('#step-slider', (s) => s.max), '99');
  assert.match(await text('#train-info'), /^step 99 of 99: loss 0\.010978370135492717, accuracy 100\.0%, /);
  const end = { marker: await marker(), pixels: await pixels() };
  assert.ok((await records()).some((r) => /^score \| data -?\d+\.\d{4} \| grad 1\.0000$/.test(r)));
  const endRecords = await records();
  await page.screenshot({ path: path.join(outDir, 'training-step99-1280x800.png'), fullPage: true });

  // The keyboard moves the slider: Home is step 0, the notebook's first line.
  await page.focus('#step-slider');
  await page.keyboard.press('Home');
  assert.match(await text('#train-info'),
    /^step 0 of 99: loss 0\.8958441028683222, accuracy 50\.0%, learning rate 1\.0$/);
  assert.ok(await marker() < end.marker, 'the marker moved left');
  assert.notEqual(await pixels(), end.pixels, 'the boundary changed');
  assert.notDeepEqual(await records(), endRecords, 'the graph\'s numbers changed');
  await page.keyboard.press('ArrowRight');
  assert.match(await text('#train-info'), /^step 1 of 99: /);
  await page.screenshot({ path: path.join(outDir, 'training-step1-1280x800.png'), fullPage: true });

  await page.click('#train-play');  // plays to the end by itself
  await page.waitForFunction(() => /^step 99 /.test(document.getElementById('train-info').textContent),
    { timeout: 30000 });
  assert.equal(await text('#train-play'), 'Play');
  assert.equal(await marker(), end.marker);
  assert.equal(await pixels(), end.pixels);
  await phone(page, 'training');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
