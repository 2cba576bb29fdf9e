// mlplab playground: the page's controls, its live channel to the server, and the drawing.
// Every setting lives in the URL (?dataset=spirals&hidden=8-8...), so a run can be shared; the
// choices offered come from /api/options (the library's registries), never from lists here.
"use strict";

const COLORS = [[245, 147, 34], [8, 119, 189], [46, 160, 67], [148, 103, 189],
                [214, 39, 40], [140, 86, 75], [227, 119, 194], [127, 127, 127]];
const HISTORY_POINTS = 1500;  // curve points kept; older ones are thinned by half

const state = {
  options: null, settings: {}, socket: null, session: null, playing: false,
  pending: null, drawScheduled: false, curves: [], hidden: new Set(), generation: 0,
};
// What the browser tests (and the curious) can read.
window.playground = { framesDrawn: 0, boundaryChecksum: 0, lastFrame: null, ready: false };

const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ settings and the URL
function readUrl() {
  const params = new URLSearchParams(location.search);
  const values = {};
  for (const key of Object.keys(state.options.defaults)) {
    if (params.has(key)) values[key] = params.get(key);
  }
  state.hidden = new Set((params.get("hide") || "").split(",").filter(Boolean));
  return { ...state.options.defaults, ...values };
}

function writeUrl() {
  const params = new URLSearchParams();
  const defaults = state.options.defaults;
  for (const [key, value] of Object.entries(state.settings)) {
    if (String(value) !== String(defaults[key])) params.set(key, value);
  }
  if (state.hidden.size) params.set("hide", [...state.hidden].join(","));
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

function datasetInfo() {
  return state.options.datasets[state.settings.dataset];
}

function fillControls() {
  const s = state.settings;
  for (const key of ["dataset", "num_classes", "n_samples", "noise", "test_fraction", "seed",
                     "hidden", "dropout", "lr", "momentum", "schedule", "batch_size",
                     "reg_rate", "epochs"]) {
    $(`s-${key}`).value = s[key];
  }
  $("s-nesterov").checked = ["1", "true", "on", true].includes(s.nesterov);
  fillSelect("s-optimizer", Object.keys(state.options.optimizers), s.optimizer);
  fillSelect("s-regularization", Object.keys(state.options.regularization), s.regularization);
  fillInit(s.init);
  const task = datasetInfo().task;
  const losses = Object.entries(state.options.losses).filter(([, t]) => t === task).map(([n]) => n);
  fillSelect("s-loss", ["", ...losses], s.loss, { "": "default" });
  for (const row of document.querySelectorAll(".row[data-field]")) {
    const field = row.dataset.field;
    const offered = ["n_samples", "noise", "test_fraction", "num_classes"].includes(field)
      ? datasetInfo().options.includes(field) : true;
    row.style.display = offered ? "" : "none";
    row.classList.toggle("hidden-by-classroom", state.hidden.has(field));
  }
  fillFeatures();
  fillActivations();
}

function fillSelect(id, names, value, labels = {}) {
  const select = $(id);
  select.innerHTML = "";
  for (const name of names) {
    const option = document.createElement("option");
    option.value = name;
    option.textContent = labels[name] || name;
    select.appendChild(option);
  }
  select.value = names.includes(value) ? value : names[0];
}

// The registry's schemes, and a spec of the URL's own (normal:0.5) beside them; each described.
function fillInit(value) {
  const schemes = state.options.initializers;
  const specs = Object.values(schemes).map((entry) => entry.spec);
  if (value && !specs.includes(value)) specs.push(value);
  fillSelect("s-init", specs, value);
  const select = $("s-init");
  for (const option of select.options) {
    option.title = schemes[option.value.split(":")[0]]?.description || "";
  }
  select.title = select.selectedOptions[0]?.title || "";
}

function fillFeatures() {
  const box = $("s-features");
  box.innerHTML = "";
  const chosen = String(state.settings.features).split(",");
  for (const [name, needs] of Object.entries(state.options.features)) {
    if (needs > datasetInfo().dimensions) continue;
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.value = name;
    input.checked = chosen.includes(name);
    input.addEventListener("change", onChange);
    label.append(input, ` ${name.replace("^2", "²").replace("*", "·")}`);
    box.appendChild(label);
  }
}

// The features the server used (the data set's own when the page named none), ticked.
function syncFeatures(features) {
  for (const input of $("s-features").querySelectorAll("input")) {
    input.checked = features.includes(input.value);
  }
}

function hiddenWidths() {
  const text = String(state.settings.hidden).trim();
  return text === "" ? [] : text.split("-").map(Number);
}

function fillActivations() {
  const box = $("s-activation");
  const names = String(state.settings.activation).split(",");
  const count = Math.max(hiddenWidths().length, 1);
  box.innerHTML = "";
  for (let i = 0; i < count; i++) {
    const select = document.createElement("select");
    for (const name of state.options.activations) {
      const option = document.createElement("option");
      option.value = option.textContent = name;
      select.appendChild(option);
    }
    select.value = names[Math.min(i, names.length - 1)];
    select.title = `activation of hidden layer ${i + 1}`;
    select.addEventListener("change", onChange);
    box.appendChild(select);
  }
}

function readControls() {
  const s = { ...state.settings };
  for (const key of ["dataset", "num_classes", "n_samples", "noise", "test_fraction", "seed",
                     "hidden", "dropout", "init", "loss", "optimizer", "lr", "momentum",
                     "schedule", "batch_size", "regularization", "reg_rate", "epochs"]) {
    s[key] = $(`s-${key}`).value;
  }
  s.nesterov = $("s-nesterov").checked ? "1" : "0";
  s.features = [...$("s-features").querySelectorAll("input:checked")].map((i) => i.value).join(",");
  const activations = [...$("s-activation").querySelectorAll("select")].map((x) => x.value);
  s.activation = activations.every((a) => a === activations[0]) ? activations[0] : activations.join(",");
  return s;
}

function onChange(event) {
  const before = state.settings;
  state.settings = readControls();
  if (event && event.target && event.target.id === "s-dataset") {
    // A new data set keeps the network and training but takes its own features and noise.
    const info = state.options.datasets[state.settings.dataset];
    state.settings.features = "";
    state.settings.loss = "";
    if (!info.upload) state.settings.upload = "";
  }
  if (event && event.target && event.target.id === "s-optimizer") {
    const entry = state.options.optimizers[state.settings.optimizer];
    if (before.lr === String(state.options.optimizers[before.optimizer].default_lr)) {
      state.settings.lr = String(entry.default_lr);
    }
    if (!entry.momentum) state.settings.momentum = "";
  }
  fillControls();
  state.settings = readControls();  // the rebuilt per-layer and feature controls, read back
  writeUrl();
  start();
}

// ------------------------------------------------------------------ the live channel
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/api/live`);
  state.socket = socket;
  socket.addEventListener("open", start);
  socket.addEventListener("message", (event) => receive(JSON.parse(event.data)));
  // Leaving the page ends its session at once (a page kept in the back-forward cache would
  // otherwise hold its session open); coming back to such a page starts afresh.
  window.addEventListener("pagehide", () => socket.close());
  window.addEventListener("pageshow", (event) => { if (event.persisted) location.reload(); });
  socket.addEventListener("close", () => {
    state.session = null;
    showMessage("error", "The connection to the server closed; reload the page to start again.");
  });
}

function send(message) {
  if (state.socket && state.socket.readyState === WebSocket.OPEN) {
    state.socket.send(JSON.stringify(message));
  }
}

function start() {
  clearProblems();
  state.playing = false;
  updatePlay();
  send({ type: "start", settings: state.settings });
}

function receive(message) {
  if (message.type === "ready") {
    state.session = message;
    syncFeatures(message.settings.dataset_options.features);
    state.generation += 1;  // new points and palette: drop what was drawn for the last session
    state.curves = [];
    buildNeuronPanel(message);
    $("metric-name").textContent = metricName();
    for (const el of document.querySelectorAll(".metric-name")) el.textContent = metricName();
    if (["error", "diverged"].includes($("message").className)) showMessage("", "");
    window.playground.ready = true;
  } else if (message.type === "frame") {
    state.pending = message;
    if (!state.drawScheduled) {
      state.drawScheduled = true;
      requestAnimationFrame(drawPending);
    }
  } else if (message.type === "error") {
    showProblem(message.field, message.message);
  }
}

function drawPending() {
  state.drawScheduled = false;
  const frame = state.pending;
  if (!frame) return;
  state.pending = null;
  drawFrame(frame);
  send({ type: "ack" });
}

// ------------------------------------------------------------------ messages on the page
function showMessage(kind, text) {
  const box = $("message");
  box.className = kind;
  box.textContent = text;
}

function clearProblems() {
  for (const row of document.querySelectorAll(".row.invalid")) {
    row.classList.remove("invalid");
    const problem = row.querySelector(".problem");
    if (problem) problem.remove();
  }
}

function showProblem(field, text) {
  const row = document.querySelector(`.row[data-field="${field}"]`);
  if (row) {
    row.classList.add("invalid");
    const problem = document.createElement("div");
    problem.className = "problem";
    problem.textContent = text;
    row.appendChild(problem);
  }
  showMessage("error", `${field}: ${text}`);
}

// ------------------------------------------------------------------ drawing
function metricName() {
  return state.session && state.session.task === "regression" ? "R²" : "accuracy";
}

function metricOf(figures) {
  return state.session.task === "regression" ? figures.r2 : figures.accuracy;
}

function format(value) {
  if (value === null || value === undefined) return "-";
  const size = Math.abs(value);
  return (size >= 0.001 && size < 1e4) || value === 0 ? value.toFixed(3) : value.toExponential(2);
}

function drawFrame(frame) {
  window.playground.lastFrame = frame;
  window.playground.framesDrawn += 1;
  $("step-count").textContent = frame.step;
  $("epoch-count").textContent = frame.epoch;
  $("lr-value").textContent = Number(frame.lr).toPrecision(3);
  const { train, test } = frame.figures;
  $("test-metric").textContent = format(metricOf(test));
  $("train-metric").textContent = format(metricOf(train));
  $("test-loss").textContent = format(test.loss);
  $("train-loss").textContent = format(train.loss);
  if (state.playing !== frame.playing) {
    state.playing = frame.playing;
    updatePlay();
  }
  if (frame.error) {
    showMessage("diverged", frame.error);
  } else if (frame.finished) {
    showMessage("info", `Finished: trained all ${frame.epoch} epochs. Raise "stop after epochs" to go on.`);
  }
  if (frame.boundary) drawBoundary(frame.boundary);
  if (frame.neurons) drawNeurons(frame.neurons);
  drawLayerStats(frame);
  drawConfusion(frame.confusion_matrix);
  recordCurves(frame);
  drawCurves();
}

function bytesOf(text) {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

function valueRange() {
  const ys = state.session.points.train.y.concat(state.session.points.test.y);
  return [Math.min(...ys), Math.max(...ys)];
}

function divergingColor(t) {
  // t in [-1, 1]: orange below, white at 0, blue above (TensorFlow Playground's scale).
  const [r, g, b] = t < 0 ? COLORS[0] : COLORS[1];
  const a = Math.min(Math.abs(t), 1);
  return [255 + (r - 255) * a, 255 + (g - 255) * a, 255 + (b - 255) * a];
}

// Packed RGBA (little-endian, as Uint32Array views of ImageData hold it) of a color and alpha 255.
function packed([r, g, b]) {
  return ((255 << 24) | (Math.round(b) << 16) | (Math.round(g) << 8) | Math.round(r)) >>> 0;
}

// Colors of the boundary by (class, confidence byte), or by value level: built once per session.
function boundaryPalette(classes) {
  const key = `${state.generation}:${classes}`;
  if (state.palette && state.palette.key === key) return state.palette.colors;
  const colors = new Uint32Array(Math.max(classes, 1) * 256);
  if (classes === 0) {
    for (let level = 0; level < 256; level++) colors[level] = packed(divergingColor(level / 127.5 - 1));
  } else {
    for (let c = 0; c < classes; c++) {
      const [r, g, b] = COLORS[c % COLORS.length];
      for (let level = 0; level < 256; level++) {
        const strength = Math.max(0, (level / 255 - 1 / classes) / (1 - 1 / classes));
        const a = 0.15 + 0.6 * strength;
        colors[c * 256 + level] = packed([255 + (r - 255) * a, 255 + (g - 255) * a, 255 + (b - 255) * a]);
      }
    }
  }
  state.palette = { key, colors };
  return colors;
}

function drawBoundary(boundary) {
  const canvas = $("boundary");
  const context = canvas.getContext("2d");
  const bytes = bytesOf(boundary.data);
  let checksum = 0;
  if (boundary.shape.length === 1) {
    drawCurve(context, canvas, new Float32Array(bytes.buffer));
    for (let i = 0; i < bytes.length; i += 7) checksum = (checksum * 31 + bytes[i]) % 1000000007;
  } else {
    const [height, width] = boundary.shape;
    const n = width * height;
    const image = new ImageData(width, height);
    const pixels = new Uint32Array(image.data.buffer);
    const values = boundary.kind === "values" ? new Float32Array(bytes.buffer) : null;
    const colors = boundaryPalette(values ? 0 : state.session.class_count);
    if (values) {
      const [low, high] = valueRange();
      const scale = 255 / (high - low || 1);
      for (let i = 0; i < n; i++) {
        const level = Math.min(255, Math.max(0, Math.round((values[i] - low) * scale)));
        pixels[i] = colors[level];
        checksum = (checksum * 31 + level) % 1000000007;
      }
    } else {
      for (let i = 0; i < n; i++) {
        pixels[i] = colors[bytes[i] * 256 + bytes[n + i]];
        checksum = (checksum * 31 + bytes[i] * 256 + bytes[n + i]) % 1000000007;
      }
    }
    if (!state.scratch || state.scratch.width !== width) state.scratch = new OffscreenCanvas(width, height);
    state.scratch.getContext("2d").putImageData(image, 0, 0);
    context.imageSmoothingEnabled = true;
    context.drawImage(state.scratch, 0, 0, canvas.width, canvas.height);
    context.drawImage(pointsLayer(canvas), 0, 0);
  }
  window.playground.boundaryChecksum = checksum;
}

// The train and test points drawn once per session (and per "show test points"), then reused.
function pointsLayer(canvas) {
  const key = `${state.generation}:${$("show-test").checked}`;
  if (state.points && state.points.key === key) return state.points.canvas;
  const layer = new OffscreenCanvas(canvas.width, canvas.height);
  drawPoints(layer.getContext("2d"), canvas);
  state.points = { key, canvas: layer };
  return layer;
}

function toCanvas(canvas, x, y) {
  const [x0, x1, y0, y1] = state.session.extent;
  return [((x - x0) / (x1 - x0)) * canvas.width, (1 - (y - y0) / (y1 - y0)) * canvas.height];
}

function drawPoints(context, canvas) {
  const points = state.session.points;
  const regression = state.session.task === "regression";
  const [low, high] = regression ? valueRange() : [0, 1];
  const splits = $("show-test").checked ? ["train", "test"] : ["train"];
  for (const split of splits) {
    const { x, y } = points[split];
    for (let i = 0; i < x.length; i++) {
      const [px, py] = toCanvas(canvas, x[i][0], x[i][1]);
      const color = regression ? divergingColor(((y[i] - low) / (high - low || 1)) * 2 - 1)
        : COLORS[y[i] % COLORS.length];
      context.beginPath();
      context.arc(px, py, 3.2, 0, 2 * Math.PI);
      context.fillStyle = `rgb(${color.join(",")})`;
      context.fill();
      context.lineWidth = split === "test" ? 1.5 : 1;
      context.strokeStyle = split === "test" ? "#000" : "#fff";
      context.stroke();
    }
  }
}

function drawCurve(context, canvas, values) {
  context.fillStyle = "#fff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  const [x0, x1] = state.session.extent;
  const splits = $("show-test").checked ? ["train", "test"] : ["train"];
  for (const split of splits) {
    const { x, y } = state.session.points[split];
    context.fillStyle = split === "test" ? "#000" : `rgb(${COLORS[1].join(",")})`;
    for (let i = 0; i < x.length; i++) {
      const [px, py] = toCanvas(canvas, x[i][0], y[i]);
      context.fillRect(px - 2, py - 2, 4, 4);
    }
  }
  context.beginPath();
  for (let i = 0; i < values.length; i++) {
    const [px, py] = toCanvas(canvas, x0 + ((x1 - x0) * i) / (values.length - 1), values[i]);
    if (i === 0) context.moveTo(px, py); else context.lineTo(px, py);
  }
  context.strokeStyle = `rgb(${COLORS[0].join(",")})`;
  context.lineWidth = 2.5;
  context.stroke();
}

function buildNeuronPanel(session) {
  const panel = $("neurons");
  panel.innerHTML = "";
  const widths = session.layers.slice(1, -1);
  widths.forEach((width, layer) => {
    const column = document.createElement("div");
    column.className = "layer";
    column.innerHTML = `<div class="stats">layer ${layer + 1}: ${width}</div>`;
    for (let unit = 0; unit < Math.min(width, 64); unit++) {
      const canvas = document.createElement("canvas");
      canvas.id = `neuron-${layer}-${unit}`;
      canvas.title = `layer ${layer + 1}, unit ${unit + 1}`;
      column.appendChild(canvas);
    }
    const stats = document.createElement("div");
    stats.className = "stats";
    stats.id = `layer-stats-${layer}`;
    column.appendChild(stats);
    panel.appendChild(column);
  });
}

function drawNeurons(layers) {
  layers.forEach((layer, index) => {
    const bytes = bytesOf(layer.data);
    const values = new Int8Array(bytes.buffer);
    const units = layer.shape[0];
    const size = values.length / units;
    for (let unit = 0; unit < Math.min(units, 64); unit++) {
      const canvas = $(`neuron-${index}-${unit}`);
      if (!canvas) continue;
      const slice = values.subarray(unit * size, (unit + 1) * size);
      if (layer.shape.length === 3) {
        const [, height, width] = layer.shape;
        canvas.width = width;
        canvas.height = height;
        const context = canvas.getContext("2d");
        const image = context.createImageData(width, height);
        for (let i = 0; i < size; i++) {
          const [r, g, b] = divergingColor(slice[i] / 127);
          image.data.set([r, g, b, 255], 4 * i);
        }
        context.putImageData(image, 0, 0);
      } else {
        canvas.width = 40;
        canvas.height = 40;
        const context = canvas.getContext("2d");
        context.beginPath();
        for (let i = 0; i < size; i++) {
          const px = (i / (size - 1)) * 40;
          const py = 20 - (slice[i] / 127) * 18;
          if (i === 0) context.moveTo(px, py); else context.lineTo(px, py);
        }
        context.strokeStyle = `rgb(${COLORS[1].join(",")})`;
        context.stroke();
      }
    }
  });
}

function drawLayerStats(frame) {
  const widths = state.session.layers.slice(1, -1);
  widths.forEach((width, layer) => {
    const box = $(`layer-stats-${layer}`);
    if (!box) return;
    const norm = frame.gradient_norms[layer];
    box.textContent = `‖∇W‖ ${norm.toExponential(1)} · dead ${frame.dead_units[layer]}/${width}`;
    box.title = "gradient norm of the layer's weights at the last step; units whose output " +
      "no longer varies over the training points";
  });
}

// The test confusion matrix: true class by row, predicted class by column.
function drawConfusion(matrix) {
  const table = $("confusion");
  if (!matrix) { table.innerHTML = ""; return; }
  const head = matrix.map((_, j) => `<th>${j}</th>`).join("");
  const rows = matrix.map((row, i) => `<tr><th>${i}</th>` +
    row.map((count, j) => `<td class="${i === j ? "diagonal" : ""}">${count}</td>`).join("") + "</tr>");
  table.innerHTML = `<tr><th>true \\ predicted</th>${head}</tr>${rows.join("")}`;
}

function recordCurves(frame) {
  const last = state.curves[state.curves.length - 1];
  if (last && last.step === frame.step) return;
  if (last && frame.step < last.step) state.curves = [];
  const { train, test } = frame.figures;
  state.curves.push({ step: frame.step, trainLoss: train.loss, testLoss: test.loss,
                      trainMetric: metricOf(train), testMetric: metricOf(test) });
  if (state.curves.length > HISTORY_POINTS) state.curves = state.curves.filter((_, i) => i % 2 === 0);
}

function drawCurves() {
  plot($("loss-curve"), "loss", "trainLoss", "testLoss");
  plot($("metric-curve"), metricName(), "trainMetric", "testMetric");
}

function plot(canvas, label, trainKey, testKey) {
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  const curves = state.curves;
  const values = curves.flatMap((c) => [c[trainKey], c[testKey]]).filter((v) => v !== null && isFinite(v));
  context.fillStyle = "#777";
  context.font = "11px sans-serif";
  context.fillText(`${label}: train —, test - -`, 6, 12);
  if (curves.length < 2 || !values.length) return;
  let low = Math.min(...values), high = Math.max(...values);
  if (high - low < 1e-9) { low -= 0.5; high += 0.5; }
  const steps = curves[curves.length - 1].step - curves[0].step || 1;
  for (const [key, dash] of [[trainKey, []], [testKey, [4, 3]]]) {
    context.beginPath();
    context.setLineDash(dash);
    curves.forEach((c, i) => {
      if (c[key] === null) return;
      const px = ((c.step - curves[0].step) / steps) * (canvas.width - 8) + 4;
      const py = canvas.height - 6 - ((c[key] - low) / (high - low)) * (canvas.height - 24);
      if (i === 0) context.moveTo(px, py); else context.lineTo(px, py);
    });
    context.strokeStyle = "#0877bd";
    context.lineWidth = 1.5;
    context.stroke();
  }
  context.setLineDash([]);
  context.fillText(format(high), canvas.width - 48, 12);
  context.fillText(format(low), canvas.width - 48, canvas.height - 4);
}

// ------------------------------------------------------------------ buttons
function updatePlay() {
  $("play").textContent = state.playing ? "pause" : "play";
}

function sessionUrl(what) {
  return `/api/sessions/${state.session.id}/${what}`;
}

async function showExport(promise) {
  const box = $("export-text");
  box.hidden = false;
  try {
    const response = await promise;
    const body = await response.json();
    box.textContent = body.error || body.text;
  } catch (error) {
    box.textContent = `The server could not be reached: ${error}`;
  }
}

// The learner's own CSV: kept by the server, then trained on as the data set csv or csv-regression.
async function uploadFile(file) {
  clearProblems();
  const dataset = datasetInfo().upload ? state.settings.dataset : "csv";
  let body;
  try {
    const response = await fetch(`/api/upload?dataset=${encodeURIComponent(dataset)}`,
                                 { method: "POST", body: await file.arrayBuffer() });
    body = await response.json();
  } catch (error) {
    showProblem("upload", `the file could not be sent: ${error}`);
    return;
  }
  if (body.error) {
    showProblem(body.field || "upload", body.error);
    return;
  }
  state.options.datasets[body.dataset].dimensions = body.inputs;
  Object.assign(state.settings, { dataset: body.dataset, upload: body.upload, features: "", loss: "" });
  fillControls();
  state.settings = readControls();
  writeUrl();
  start();
  showMessage("info", `${file.name}: ${body.rows} rows, ${body.inputs} input(s)` +
    (body.classes ? `, classes ${body.classes.join(", ")}` : ", one target"));
}

function wireButtons() {
  $("upload-file").addEventListener("change", (event) => {
    if (event.target.files.length) uploadFile(event.target.files[0]);
  });
  $("play").addEventListener("click", () => {
    state.playing = !state.playing;
    updatePlay();
    send({ type: state.playing ? "play" : "pause" });
  });
  $("step").addEventListener("click", () => send({ type: "step" }));
  $("reset").addEventListener("click", () => { state.curves = []; start(); });
  $("show-test").addEventListener("change", () => {
    if (window.playground.lastFrame) drawFrame(window.playground.lastFrame);
  });
  $("export-model").addEventListener("click", () => { location.href = sessionUrl("model"); });
  $("export-onnx").addEventListener("click", async () => {
    const response = await fetch(sessionUrl("onnx"));
    if (response.ok) { location.href = sessionUrl("onnx"); return; }
    showExport(Promise.resolve(response));
  });
  $("export-settings").addEventListener("click", () => showExport(
    fetch(sessionUrl("export")).then(async (response) => {
      const body = await response.json();
      const text = body.error || `# mlplab train options (with ${body.toml_file} below)\n` +
        `${body.command}\n\n# ${body.toml_file}\n${body.toml}\n# Python\n${body.python}`;
      return { json: async () => ({ text }) };
    })));
  $("save-run").addEventListener("click", () => showExport(
    fetch(sessionUrl("save"), { method: "POST" }).then(async (response) => {
      const body = await response.json();
      const text = body.error || `Saved as a run folder: ${body.folder} (${body.epochs} epochs)`;
      return { json: async () => ({ text }) };
    })));
  $("classroom").addEventListener("click", () => {
    const fields = [...document.querySelectorAll(".row[data-field]")].map((r) => r.dataset.field);
    const answer = prompt(`Controls to hide from learners, comma-separated (of: ${fields.join(", ")})`,
                          [...state.hidden].join(","));
    if (answer === null) return;
    state.hidden = new Set(answer.split(",").map((x) => x.trim()).filter((x) => fields.includes(x)));
    fillControls();
    writeUrl();
    showMessage("info", `Classroom link (in the address bar): ${location.href}`);
  });
  for (const element of document.querySelectorAll(".row input, .row select")) {
    if (element.closest("#s-features") || element.closest("#s-activation")) continue;
    if (element.id === "upload-file") continue;
    element.addEventListener("change", onChange);
  }
}

async function main() {
  const response = await fetch("/api/options");
  state.options = await response.json();
  fillSelect("s-dataset", Object.keys(state.options.datasets), "spirals");
  for (const [name, kind] of Object.entries(state.options.schedules)) {
    const option = document.createElement("option");
    option.value = name;
    option.label = kind.usage;
    $("schedules").appendChild(option);
  }
  state.settings = readUrl();
  if (!state.options.datasets[state.settings.dataset]) state.settings.dataset = "spirals";
  fillControls();
  wireButtons();
  connect();
}

main();
