// explorer.js: the interactive page's logic. Every number comes from micrograd's C++ engine: the
// walkthrough the `micrograd` program wrote into the page, and after an edit the same engine
// compiled to WebAssembly (MicrogradEngine, web/engine.cpp). The graph is laid out by graphviz
// (Viz, @viz-js/viz). This file only shows those numbers and moves through the steps.
/* global Viz, MicrogradEngine */
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const data = JSON.parse($('micrograd-data').textContent) || {
    mode: 'expression',
    text: 'e = a*b; d = e + c; L = d*f',
    variables: [['a', 2], ['b', -3], ['c', 10], ['f', -2]],
    rankdir: 'LR',
    walkthrough: null,
  };

  // ---- numbers as Python prints them (repr) and as the graph's records do (%.4f)
  const num = (x) => (typeof x === 'string' ? Number(x.replace('inf', 'Infinity')) : x);

  function pyRepr(x) {
    if (Number.isNaN(x)) return 'nan';
    if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
    if (Object.is(x, -0)) return '-0.0';
    // The shortest digits that read back (JavaScript and Python agree on them), laid out by
    // Python's rule: exponent notation below 1e-4 and from 1e16 on.
    const [mantissa, expText] = x.toExponential().split('e');
    const exp = Number(expText);
    const sign = mantissa.startsWith('-') ? '-' : '';
    const digits = mantissa.replace('-', '').replace('.', '');
    if (exp < -4 || exp >= 16) {
      const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
      return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
    }
    if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
    if (digits.length > exp + 1) return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
    return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  }

  // C's "%.4f" (the graph's records): ties go to the even digit, as printf rounds the exact value.
  function format4(x) {
    if (Number.isNaN(x)) return 'nan';
    if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
    if (Math.abs(x) >= 1e21) return x.toFixed(4);
    const exact = Math.abs(x).toFixed(30);  // exact here: a tie has few decimal digits
    const [whole, frac] = exact.split('.');
    let out = x.toFixed(4);
    if (frac[4] === '5' && /^0*$/.test(frac.slice(5))) {  // a tie: printf keeps the even digit
      const down = `${whole}.${frac.slice(0, 4)}`;
      const last = Number(frac[3]);
      out = (x < 0 ? '-' : '') + (last % 2 === 0 ? down : Math.abs(x).toFixed(4));
    }
    return out;
  }

  // ---- state
  let engine = null;  // the WebAssembly module, once loaded
  let viz = null;
  let walk = null;    // the current walkthrough (explore.hpp's JSON)
  let nodeById = new Map();
  let stepIndex = -1; // -1: before backward; 0: the root's grad set to 1; k: k-th node processed
  let svgNodes = new Map();  // "n12" -> the node's <g> in the SVG
  let playing = null;
  const variables = new Map(data.variables);  // name -> value, in the command line's order

  function nameOf(id) { return nodeById.get(id).name; }
  function rootName() { return nameOf(walk.root); }
  function d(id) { return `d${rootName()}/d${nameOf(id)}`; }

  // Grads after step k: the engine's numbers, each term's grad as it was right after it.
  function gradsAt(k) {
    const grads = new Map(walk.nodes.map((n) => [n.id, 0]));
    if (k >= 0) grads.set(walk.root, 1);
    for (let s = 1; s <= k; s += 1) {
      for (const t of walk.steps[s].terms) grads.set(t.child, num(t.grad));
    }
    return grads;
  }

  const opRule = {
    '+': 'for +, each input gets 1',
    '*': 'for *, each input gets the other factor',
    tanh: 'for tanh, 1 - tanh(x)**2',
    exp: 'for exp, exp(x) itself',
    log: 'for log, 1/x',
    ReLU: 'for ReLU, 1 where x > 0, else 0',
    sigmoid: 'for sigmoid, s*(1 - s)',
  };

  function explainStep(k) {
    const box = $('chain-rule');
    box.replaceChildren();
    const line = (text, cls) => {
      const p = document.createElement('p');
      p.textContent = text;
      if (cls) p.className = cls;
      box.append(p);
    };
    if (k < 0) {
      line('Before backward: every grad is 0. Step starts at the output.');
      return;
    }
    if (k === 0) {
      line(`Step 0: ${rootName()} is the output, so ${d(walk.root)} = 1.`);
      line(`${d(walk.root)} = 1.0`, 'formula');
      return;
    }
    const step = walk.steps[k];
    const node = nodeById.get(step.node);
    const rule = node.op.startsWith('**') ? `for ${node.op}, n*x**(n-1)` : opRule[node.op];
    const inputs = node.children.map(nameOf);
    let formula = `${node.op}(${inputs.join(', ')})`;  // how the node was made, by its inputs' names
    if (node.op.startsWith('**')) {
      formula = `${inputs[0]}${node.op}`;
    } else if (inputs.length === 2 && (node.op === '+' || node.op === '*')) {
      formula = inputs.join(` ${node.op} `);
    }
    line(`Step ${k}: ${node.name} = ${formula} passes ${d(node.id)} = ` +
      `${pyRepr(num(gradsAt(k - 1).get(node.id)))} on to ${[...new Set(inputs)].join(' and ')}` +
      (rule ? ` (${rule}).` : '.'));
    if (step.terms.length === 0) {
      line(`${d(node.id)} is 0: there is nothing to pass on.`);
      return;
    }
    const before = gradsAt(k - 1);
    for (const t of step.terms) {
      const had = before.get(t.child);
      const lhs = d(t.child);
      const product = `${d(node.id)} * d${node.name}/d${nameOf(t.child)} = ` +
        `${pyRepr(num(t.upstream))} * ${pyRepr(num(t.local))} = ${pyRepr(num(t.contribution))}`;
      if (had === 0) {
        line(`${lhs} = ${product}`, 'formula');
      } else {
        line(`${lhs} += ${product}, now ${pyRepr(num(t.grad))}`, 'formula');
      }
      before.set(t.child, num(t.grad));
    }
  }

  function renderStep() {
    const k = stepIndex;
    const grads = gradsAt(k);
    const current = k >= 0 ? walk.steps[k].node : null;
    const children = new Set(k >= 1 ? walk.steps[k].terms.map((t) => t.child) : []);
    for (const [key, g] of svgNodes) {
      const id = Number(key.slice(1));
      const gradText = [...g.querySelectorAll('text')].find((t) => t.textContent.startsWith('grad '));
      if (gradText) gradText.textContent = `grad ${format4(grads.get(id))}`;
      g.classList.toggle('current', id === current);
      g.classList.toggle('child', children.has(id));
    }
    for (const [key, g] of svgNodes) {  // the op node of the current step too
      if (key.endsWith('op')) g.classList.toggle('current', Number(key.slice(1, -2)) === current);
    }
    const rows = $('values').tBodies[0];
    rows.replaceChildren();
    for (const n of walk.nodes) {
      const tr = document.createElement('tr');
      tr.dataset.id = n.id;
      if (n.id === current) tr.className = 'current';
      else if (children.has(n.id)) tr.className = 'child';
      for (const text of [n.name, n.op, pyRepr(num(n.data)), pyRepr(grads.get(n.id))]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      rows.append(tr);
    }
    explainStep(k);
    const last = walk.steps.length - 1;
    $('step-info').textContent = k < 0 ? `before backward (${last + 1} steps)` : `step ${k} of ${last}`;
    $('reset').disabled = k < 0;
    $('back').disabled = k < 0;
    $('step').disabled = k >= last;
    $('play').disabled = k >= last && !playing;
    $('play').textContent = playing ? 'Pause' : 'Play';
  }

  function setStep(k) {
    stepIndex = Math.max(-1, Math.min(k, walk.steps.length - 1));
    if (playing && stepIndex >= walk.steps.length - 1) stopPlaying();
    renderStep();
  }

  function stopPlaying() {
    clearInterval(playing);
    playing = null;
  }

  function togglePlay() {
    if (playing) {
      stopPlaying();
    } else {
      if (stepIndex >= walk.steps.length - 1) return;
      playing = setInterval(() => setStep(stepIndex + 1), 700);
    }
    renderStep();
  }

  function showWalkthrough(w, keepStep) {
    walk = w;
    nodeById = new Map(w.nodes.map((n) => [n.id, n]));
    const svg = viz.renderSVGElement(w.dot);
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', `computation graph of ${w.nodes.length} values`);
    $('graph').replaceChildren(svg);
    svgNodes = new Map();
    for (const g of svg.querySelectorAll('g.node')) {
      svgNodes.set(g.querySelector('title').textContent, g);
    }
    setStep(keepStep ? stepIndex : w.steps.length - 1);
  }

  function renderVariableInputs(names) {
    const box = $('variables');
    const existing = new Set([...box.querySelectorAll('input')].map((i) => i.dataset.name));
    if (names.length === existing.size && names.every((n) => existing.has(n))) return;
    box.replaceChildren();
    for (const name of names) {
      if (!variables.has(name)) variables.set(name, 1);
      const label = document.createElement('label');
      const input = document.createElement('input');
      input.type = 'number';
      input.step = 'any';
      input.dataset.name = name;
      input.id = `var-${name}`;
      input.value = String(variables.get(name));
      input.addEventListener('input', () => {
        if (input.value.trim() === '' || !Number.isFinite(Number(input.value))) return;
        variables.set(name, Number(input.value));
        recompute();
      });
      label.append(`${name} =`, input);
      box.append(label);
    }
  }

  // The graph's direction and size limit, as the program drew it (its defaults otherwise).
  const layout = () => [data.rankdir || 'LR', data.maxNodes || 2000];

  // The values of the variables `names`, in the order their leaves are made: the program's
  // command-line order, then new names (the same order as the program: the same node ids).
  const valuesJson = (names) => JSON.stringify([...variables.entries()].filter(([n]) => names.includes(n)));

  // Asks the engine for the walkthrough of the current text and values, and shows it.
  function recompute() {
    const text = $('expression').value;
    // While the text does not parse, the inputs stay as they are (the engine says what is wrong).
    const names = JSON.parse(engine.variables(text)) ||
      [...$('variables').querySelectorAll('input')].map((i) => i.dataset.name);
    renderVariableInputs(names);
    const w = JSON.parse(engine.walkthrough(text, valuesJson(names), ...layout()));
    if (w.error) {
      $('error').textContent = w.error;
      return;
    }
    $('error').textContent = '';
    showWalkthrough(w, false);
  }

  function onKey(event) {
    const tag = event.target.tagName;
    if (tag === 'TEXTAREA' || tag === 'INPUT' || (tag === 'BUTTON' && event.key === ' ')) return;
    if (!walk || $('inputs').hidden) return;
    const actions = {
      ArrowRight: () => setStep(stepIndex + 1),
      ArrowLeft: () => setStep(stepIndex - 1),
      Home: () => setStep(-1),
      End: () => setStep(walk.steps.length - 1),
      ' ': togglePlay,
    };
    if (actions[event.key] && walk) {
      event.preventDefault();
      actions[event.key]();
    }
  }

  // Shows an expression with its variables and the program's walkthrough (or the engine's).
  function loadExpression(expr) {
    variables.clear();
    for (const [name, value] of expr.variables) variables.set(name, value);
    $('expression').value = expr.text;
    $('expression').rows = Math.min(12, Math.max(3, expr.text.split('\n').length));
    $('variables').replaceChildren();
    const names = JSON.parse(engine.variables(expr.text));
    renderVariableInputs(names);
    $('error').textContent = '';
    stopPlaying();
    if (expr.walkthrough) {
      // The program's numbers come first; the page's engine must agree with them exactly.
      const mine = JSON.parse(engine.walkthrough(expr.text, valuesJson(names), ...layout()));
      if (JSON.stringify(mine) !== JSON.stringify(expr.walkthrough)) {
        console.error('the WebAssembly engine disagrees with the program\'s numbers');
      }
      showWalkthrough(expr.walkthrough, false);
    } else {
      recompute();
    }
    setStep(-1);
  }

  // Lecture mode: one part at a time (its text, numbers, plot, and expression if it has one).
  function showPart(k) {
    const part = data.parts[k];
    for (const [i, b] of [...$('parts').children].entries()) {
      b.setAttribute('aria-current', String(i === k));
    }
    $('part-title').textContent = part.title;
    $('part-text').textContent = part.text;
    const rows = $('part-lines').tBodies[0];
    rows.replaceChildren();
    for (const [label, value] of part.lines) {
      const tr = document.createElement('tr');
      for (const text of [label, value]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.append(td);
      }
      rows.append(tr);
    }
    $('part-plot').hidden = !part.plot;
    if (part.plot) {
      $('part-plot').src = part.plot;
      $('part-plot').alt = part.plotAlt || '';
    }
    for (const id of ['inputs', 'chain', 'graph-panel', 'table-panel']) {
      $(id).hidden = !part.expression;
    }
    if (part.expression) loadExpression(part.expression);
  }

  function startLecture() {
    $('title').textContent = 'micrograd: the lecture, computed by this engine';
    $('hint').textContent = 'Pick a part. Where a part has a graph, step through its backward with ' +
      'the buttons or the keys (Right arrow step, Left arrow back, Space play, Home reset) and edit ' +
      'the expression or the values: micrograd\'s C++ engine (WebAssembly) recomputes everything.';
    document.title = 'micrograd: the lecture';
    $('parts').hidden = false;
    $('part').hidden = false;
    for (const [k, part] of data.parts.entries()) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = part.title;
      b.addEventListener('click', () => showPart(k));
      $('parts').append(b);
    }
    showPart(0);
  }

  // ---- training mode: the run's frames (the parameters at some steps), each with the model's
  // scores over a grid, and the first sample's graph with its numbers
  let frame = 0;
  let trainPlaying = null;
  const decode = (b64) => Int8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const palette = ['#2b83ba', '#d7191c', '#1a9641', '#fdae61', '#7b3294', '#a6611a', '#4d4d4d',
    '#e7298a', '#66a61e', '#e6ab02'];

  function drawBoundary(f) {
    const canvas = $('boundary');
    const ctx = canvas.getContext('2d');
    const { x0, x1, y0, y1, n } = data.grid;
    const cells = decode(data.frames[f]);
    // One pixel per cell, the class colour blended with white by certainty, then scaled up.
    const image = new ImageData(n, n);
    for (let c = 0; c < n * n; c += 1) {
      const v = cells[c];
      let hex = palette[v % palette.length];
      let alpha = 0.4;
      if (data.classes === 2) {  // 127 * tanh(score): the sign is the class, the size the certainty
        hex = v > 0 ? palette[1] : palette[0];
        alpha = 0.15 + 0.45 * Math.abs(v) / 127;
      }
      for (let ch = 0; ch < 3; ch += 1) {
        const colour = parseInt(hex.slice(1 + 2 * ch, 3 + 2 * ch), 16);
        image.data[4 * c + ch] = Math.round(255 + (colour - 255) * alpha);
      }
      image.data[4 * c + 3] = 255;
    }
    const cellsCanvas = document.createElement('canvas');
    cellsCanvas.width = n;
    cellsCanvas.height = n;
    cellsCanvas.getContext('2d').putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(cellsCanvas, 0, 0, canvas.width, canvas.height);
    for (const [x, y, label] of data.points) {
      const cls = data.classes === 2 ? (label > 0 ? 1 : 0) : label;
      ctx.beginPath();
      ctx.arc((x - x0) / (x1 - x0) * canvas.width, (y1 - y) / (y1 - y0) * canvas.height, 4.5, 0, 2 * Math.PI);
      ctx.fillStyle = palette[cls % palette.length];
      ctx.fill();
      ctx.lineWidth = 1.2;
      ctx.strokeStyle = '#111';
      ctx.stroke();
    }
  }

  function placeMarker(id, curve, step) {
    const box = $(id);
    box.hidden = !curve;
    if (!curve) return;
    const img = box.querySelector('img');
    if (img.src !== curve.img) img.src = curve.img;
    const x = curve.left + (step - curve.xmin) / Math.max(curve.xmax - curve.xmin, 1) *
      (curve.right - curve.left);
    const m = box.querySelector('.marker');
    m.style.left = `${x / curve.width * 100}%`;
    m.style.top = `${curve.top / curve.height * 100}%`;
    m.style.height = `${(curve.bottom - curve.top) / curve.height * 100}%`;
  }

  function showFrame(f) {
    frame = Math.max(0, Math.min(f, data.frames.length - 1));
    const step = data.frameSteps[frame];
    $('step-slider').value = String(frame);
    const acc = data.accuracy[step];
    $('train-info').textContent = `step ${step} of ${data.loss.length - 1}: ` +
      `loss ${pyRepr(data.loss[step])}, accuracy ${(acc * 100).toFixed(1)}%, ` +
      `learning rate ${pyRepr(data.lr[step])}`;
    drawBoundary(frame);
    placeMarker('loss-curve', data.lossCurve, step);
    placeMarker('accuracy-curve', data.accuracyCurve, step);
    const numbers = data.sample.frames[frame];
    for (const [key, g] of svgNodes) {
      if (key.endsWith('op')) continue;
      const k = Number(key.slice(1));
      for (const t of g.querySelectorAll('text')) {
        if (t.textContent.startsWith('data ')) t.textContent = `data ${format4(num(numbers.data[k]))}`;
        if (t.textContent.startsWith('grad ')) t.textContent = `grad ${format4(num(numbers.grad[k]))}`;
      }
    }
    $('train-play').textContent = trainPlaying ? 'Pause' : 'Play';
  }

  function toggleTrainPlay() {
    if (trainPlaying) {
      clearInterval(trainPlaying);
      trainPlaying = null;
    } else {
      if (frame >= data.frames.length - 1) showFrame(0);
      trainPlaying = setInterval(() => {
        showFrame(frame + 1);
        if (frame >= data.frames.length - 1) toggleTrainPlay();  // stops at the last step
      }, 120);
    }
    showFrame(frame);
  }

  function startTraining() {
    $('title').textContent = 'micrograd: a training run, step by step';
    $('hint').textContent = 'Move the slider (or focus it and use the arrow keys, Home, End) or ' +
      'press Play: the decision boundary, the curves\' marker and the graph\'s numbers follow the step.';
    $('graph').classList.add('natural');
    document.title = 'micrograd: training';
    for (const id of ['inputs', 'chain', 'table-panel']) $(id).hidden = true;
    $('training').hidden = false;
    $('run-text').textContent = data.title;
    $('graph-title').hidden = false;
    $('graph-title').textContent = 'The output neuron for the first sample, at this step ' +
      '(micrograd\'s * and + nodes; its inputs h0, h1, ... are the last hidden layer\'s values)';
    const svg = viz.renderSVGElement(data.sample.dot);
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'the first sample\'s graph at this step');
    $('graph').replaceChildren(svg);
    svgNodes = new Map();
    for (const g of svg.querySelectorAll('g.node')) {
      svgNodes.set(g.querySelector('title').textContent, g);
    }
    const slider = $('step-slider');
    slider.max = String(data.frames.length - 1);
    slider.addEventListener('input', () => showFrame(Number(slider.value)));
    $('train-play').addEventListener('click', toggleTrainPlay);
    showFrame(data.frames.length - 1);
  }

  async function start() {
    viz = await Viz.instance();
    engine = await MicrogradEngine();
    if (data.mode === 'lecture') {
      startLecture();
    } else if (data.mode === 'training') {
      startTraining();
    } else {
      loadExpression(data);
    }
    $('reset').addEventListener('click', () => setStep(-1));
    $('back').addEventListener('click', () => setStep(stepIndex - 1));
    $('step').addEventListener('click', () => setStep(stepIndex + 1));
    $('play').addEventListener('click', togglePlay);
    $('expression').addEventListener('input', recompute);
    document.addEventListener('keydown', onKey);
    $('status').textContent = 'Ready: the numbers come from micrograd\'s C++ engine (WebAssembly).';
    document.body.dataset.ready = 'true';
  }

  start().catch((e) => {
    $('status').textContent = `The page could not start: ${e}`;
    console.error(e);
  });
}());
