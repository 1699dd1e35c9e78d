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
  } finally {
    await browser.close();
  }
  assert.deepEqual(problems, []);
  console.log(`explorer page: every check passed; screenshots in ${outDir}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
