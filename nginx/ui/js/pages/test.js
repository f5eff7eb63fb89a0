// A service's test page: pick an image (two for verification), see at once the photo and then the
// faces the API finds, numbered on the photo and detailed in a table; the request as curl and the
// raw JSON answer.

import { ServiceApi } from "../api.js";
import { busy, copyText, errorArea, field, h, heading, replace, showDialog, toast } from "../dom.js";
import { decode, drawFaces, drawMessage, MATCH_COLOUR, OTHER_COLOUR } from "../draw.js";
import { dropZone } from "../files.js";
import { loadService, serviceLinks, serviceTrail } from "../service.js";

const PLUGINS = [["landmarks", "Landmarks", true], ["age", "Age", true], ["gender", "Gender", true], ["pose", "Head pose", false],
  ["mask", "Mask", false]];
// Similarities are calibrated so that 0.5 is the model's same-person point.
const SAME_PERSON = 0.5;
// With more faces than this, the photo shows only their numbers (names would cover other faces).
const NAMED_ON_PHOTO = 3;
const UNDRAWABLE = "This browser cannot show this image format; the faces are listed below.";
const NO_FACE = "No face found";

// What each service type sends and how its answer reads.
const KINDS = {
  RECOGNITION: { path: "/recognition/recognize", action: "Recognize", images: [["file", "Image"]], similarity: true },
  DETECTION: { path: "/detection/detect", action: "Detect", images: [["file", "Image"]], similarity: false },
  VERIFICATION: { path: "/verification/verify", action: "Verify", similarity: true,
    images: [["source_image", "Source image (one face)"], ["target_image", "Target image"]] },
};

export async function render(container, { appId, serviceId }) {
  const [{ app, service }, config] = await Promise.all([loadService(appId, serviceId), new ServiceApi("").request("GET", "/config")]);
  const page = new TestPage(new ServiceApi(service.apiKey), service.type, config.detProbThreshold);
  replace(container, heading(serviceTrail(app, service, "Test")), serviceLinks(app, service, "test"), page.element);
  return () => page.leave();
}

/** A similarity, on the one scale the API uses (0 to 1). */
function similarity(value) {
  return value.toFixed(2);
}

/** How sure the detector is that a box is a face, in words. */
function faceCertainty(probability) {
  const words = probability >= 0.95 ? "certainly a face" : probability >= 0.8 ? "very likely a face"
    : probability >= 0.6 ? "probably a face" : "perhaps a face";
  return `${words} (${probability.toFixed(2)})`;
}

/** What a face's table row says besides its subject or similarity. */
function traits(face) {
  const parts = [];
  if (face.gender) parts.push(`${face.gender.value.toLowerCase()} (${face.gender.probability.toFixed(2)})`);
  if (face.age) parts.push(`age ${face.age.low}–${face.age.high}`);
  if (face.mask) parts.push(face.mask.value.replaceAll("_", " ").toLowerCase());
  if (face.pose) parts.push(`yaw ${face.pose.yaw}°, pitch ${face.pose.pitch}°, roll ${face.pose.roll}°`);
  return parts;
}

/** A face's candidates with each subject once: its best similarity and how many of its faces matched. */
function bySubject(candidates) {
  const subjects = new Map();
  for (const { subject, similarity: value } of candidates) {
    const known = subjects.get(subject);
    if (known) {
      known.faces += 1;
      known.similarity = Math.max(known.similarity, value);
    } else {
      subjects.set(subject, { subject, similarity: value, faces: 1 });
    }
  }
  return [...subjects.values()].sort((a, b) => b.similarity - a.similarity);
}

/** A number field's value within [low, high], or an error that says what to type. */
function bounded(input, label, low, high) {
  const text = input.value.trim();
  const value = Number(text);
  if (text === "" || Number.isNaN(value) || value < low || value > high) {
    input.setAttribute("aria-invalid", "true");
    throw new Error(`${label} must be a number from ${low} to ${high}`);
  }
  input.removeAttribute("aria-invalid");
  return value;
}

class TestPage {
  constructor(api, type, detectionDefault) {
    this.api = api;
    this.kind = KINDS[type];
    this.type = type;
    this.files = {};
    this.drawings = new Map(); // canvas -> {bitmap, faces, label}
    this.answer = null;
    this.hovered = -1;
    this.selected = -1;
    this.errors = errorArea();
    this.plugins = PLUGINS.map(([name, label, checked]) => {
      const box = h("input", { type: "checkbox", value: name, checked, id: `plugin-${name}` });
      return { box, element: h("label", { class: "check", for: box.id }, box, label) };
    });
    const detection = detectionDefault ?? "";
    this.threshold = h("input", { type: "number", min: 0, max: 1, step: 0.05, value: detection, required: true, id: "det-prob-threshold",
      name: "threshold", inputmode: "decimal" });
    this.limit = h("input", { type: "number", min: 0, step: 1, placeholder: "all", id: "limit", name: "limit" });
    this.predictions = h("input", { type: "number", min: 1, step: 1, value: 1, id: "prediction-count", name: "predictions" });
    this.sameness = h("input", { type: "number", min: 0, max: 1, step: 0.05, value: SAME_PERSON, id: "similarity-threshold",
      name: "similarity", inputmode: "decimal" });
    this.sameness.addEventListener("input", () => this.relabel());
    this.run = h("button", { type: "button", class: "primary", text: this.kind.action, disabled: true, id: "run-test",
      onclick: () => this.start() });
    this.pickers = this.kind.images.map(([name, label]) => this.picker(name, label));
    this.canvases = this.kind.images.map(([name]) => h("canvas", { class: "result-image", id: `canvas-${name}`, tabindex: 0,
      title: "Click to enlarge", role: "img", "aria-label": "The photo with the faces found",
      onclick: (event) => this.enlarge(event.currentTarget),
      onkeydown: (event) => {
        if (event.key === "Enter") this.enlarge(event.currentTarget);
      } }));
    this.results = h("div", { id: "results" });
    this.curl = h("pre", { class: "code", id: "curl" });
    this.raw = h("pre", { class: "code", id: "raw-json" });
    this.resultCard = h("div", { class: "card", id: "result-card" },
      h("div", { class: "panel-head" }, h("h2", { text: "Result" }),
        h("button", { type: "button", class: "small", id: "enlarge-photo", text: "Enlarge photo", onclick: () => this.enlarge(this.canvases[0]) })),
      h("div", { class: "canvases" }, this.canvases), this.results);
    this.output = h("section", { class: "stack", hidden: true }, this.resultCard,
      h("div", { class: "card" }, h("div", { class: "panel-head" }, h("h2", { text: "Request" }),
        h("button", { type: "button", class: "small", text: "Copy", onclick: (event) => busy(event.currentTarget, async () => {
          await copyText(this.curl.textContent);
          toast("Command copied");
        }) })),
      this.curl),
      h("div", { class: "card" }, h("h2", { text: "Response" }), this.raw));
    this.element = h("div", { class: "stack" },
      h("section", { class: "card stack" },
        h("div", { class: "pickers" }, this.pickers),
        h("div", { class: "inline-form" },
          h("fieldset", { class: "plugins" }, h("legend", { text: "Face plugins" }), this.plugins.map((plugin) => plugin.element)),
          field("Detection threshold (0–1)", this.threshold,
            detectionDefault === null ? "How sure the detector must be that it sees a face" : `Faces the detector is less sure of are left out; ${detection} is the model's default`),
          field("Most faces", this.limit, "Blank: every face"),
          type === "RECOGNITION" ? field("Candidates per face", this.predictions, "Each person is listed once") : null,
          this.kind.similarity ? field("Same-person threshold (0–1)", this.sameness,
            `Similarity runs from 0 to 1; from ${SAME_PERSON}, the model's calibrated point, it is the same person`) : null,
          this.run),
        this.errors.element),
      this.output);
  }

  leave() {
    for (const { bitmap } of this.drawings.values()) bitmap?.close();
  }

  picker(name, label) {
    const input = h("input", { type: "file", accept: "image/*", hidden: true, id: `pick-${name}` });
    const chosen = h("span", { class: "muted", text: "no image chosen" });
    const zone = h("div", { class: "dropzone small", id: `drop-${name}` }, h("strong", { text: label }), h("br"),
      h("span", { text: "Drop an image or click to choose" }), h("br"), chosen);
    const element = h("div", { class: "picker" }, zone, input);
    dropZone(zone, input, ([{ file }]) => {
      this.files[name] = file;
      chosen.textContent = file.name;
      const ready = this.kind.images.every(([wanted]) => this.files[wanted]);
      this.run.disabled = !ready;
      if (ready) this.start();
    });
    return element;
  }

  start() {
    return busy(this.run, () => this.send(), this.errors);
  }

  params() {
    const plugins = this.plugins.filter((plugin) => plugin.box.checked).map((plugin) => plugin.box.value);
    const limit = this.limit.value.trim() === "" ? "" : bounded(this.limit, "Most faces", 0, 1e6);
    return {
      face_plugins: plugins.join(","),
      det_prob_threshold: bounded(this.threshold, "The detection threshold", 0, 1),
      limit,
      prediction_count: this.type === "RECOGNITION" ? bounded(this.predictions, "Candidates per face", 1, 1000) : "",
    };
  }

  curlCommand(params) {
    const url = new URL(this.api.url(this.kind.path, params), location.origin).href;
    const quote = (text) => `"${text.replaceAll("\\", "\\\\").replaceAll("\"", "\\\"").replaceAll("$", "\\$").replaceAll("`", "\\`")}"`;
    const files = this.kind.images.map(([name]) => `  -F ${quote(`${name}=@${this.files[name].name}`)}`);
    return [`curl -X POST ${quote(url)}`, `  -H ${quote(`x-api-key: ${this.api.apiKey}`)}`, ...files].join(" \\\n");
  }

  /** The new photos at once, dimmed, while the answer is awaited; the earlier answer is gone. */
  async showPending() {
    this.answer = null;
    this.hovered = this.selected = -1;
    this.output.hidden = false;
    this.resultCard.classList.add("busy");
    this.resultCard.setAttribute("aria-busy", "true");
    this.raw.textContent = "…";
    replace(this.results, h("p", { class: "muted", id: "waiting", text: "Finding faces…" }));
    await Promise.all(this.kind.images.map(async ([name], index) => {
      const bitmap = await this.photo(this.canvases[index], this.files[name]);
      if (bitmap) drawMessage(this.canvases[index], bitmap, "Finding faces…");
    }));
  }

  async send() {
    const params = this.params();
    if (this.kind.similarity) bounded(this.sameness, "The same-person threshold", 0, 1);
    this.curl.textContent = this.curlCommand(params);
    await this.showPending();
    const form = Object.fromEntries(this.kind.images.map(([name]) => [name, this.files[name]]));
    let answer;
    try {
      answer = await this.api.request("POST", this.kind.path, { params, form });
    } catch (error) {
      this.raw.textContent = JSON.stringify({ message: error.message, code: error.code }, null, 2);
      this.done();
      if (error.code === 28) { // no face: the photo says so, and the table is not drawn
        this.showNoFace();
        return;
      }
      replace(this.results);
      for (const canvas of this.canvases) canvas.hidden = true; // a photo without its answer would mislead
      throw error;
    }
    this.raw.textContent = JSON.stringify(answer, null, 2);
    this.done();
    this.answer = answer;
    this.relabel();
  }

  done() {
    this.resultCard.classList.remove("busy");
    this.resultCard.removeAttribute("aria-busy");
  }

  showNoFace() {
    for (const [canvas, drawing] of this.drawings) {
      if (drawing.bitmap) drawMessage(canvas, drawing.bitmap, NO_FACE);
    }
    replace(this.results, h("p", { class: "empty", id: "no-face", text: `${NO_FACE} in this photo. Try a lower detection threshold or another photo.` }));
  }

  /** Decode `file` for `canvas` (the earlier photo freed); null when the browser cannot show it. */
  async photo(canvas, file) {
    this.drawings.get(canvas)?.bitmap?.close();
    const bitmap = await decode(file);
    this.drawings.set(canvas, { bitmap, faces: [], label: null });
    canvas.hidden = !bitmap;
    return bitmap;
  }

  draw(canvas, faces, label) {
    const drawing = this.drawings.get(canvas);
    drawing.faces = faces;
    drawing.label = label;
    if (drawing.bitmap) drawFaces(canvas, drawing.bitmap, faces, label, canvas === this.canvases.at(-1) ? this.highlight() : -1);
    return Boolean(drawing.bitmap);
  }

  highlight() {
    return this.hovered >= 0 ? this.hovered : this.selected;
  }

  /** Draw the last answer again (the same-person threshold changed, or a row is highlighted). */
  relabel() {
    if (!this.answer) return;
    const threshold = Number(this.sameness.value);
    if (Number.isNaN(threshold) || threshold < 0 || threshold > 1) return;
    if (this.type === "VERIFICATION") this.showVerification(this.answer, threshold);
    else this.showFaces(this.answer.result, threshold);
  }

  /** Only the drawing follows a highlighted row (the table stays, with its focus). */
  rehighlight() {
    const canvas = this.canvases.at(-1);
    const drawing = this.drawings.get(canvas);
    if (drawing?.bitmap && drawing.label) drawFaces(canvas, drawing.bitmap, drawing.faces, drawing.label, this.highlight());
    for (const row of this.results.querySelectorAll("tr.face-row")) {
      row.classList.toggle("highlighted", Number(row.dataset.index) === this.highlight());
      row.setAttribute("aria-selected", String(Number(row.dataset.index) === this.selected));
    }
  }

  /** A table row of face `index`: hovering or focusing it highlights its box, clicking keeps it highlighted. */
  faceRow(index, ...cells) {
    const row = h("tr", { class: "face-row", tabindex: 0, dataset: { index: String(index) }, "aria-selected": String(index === this.selected) }, cells);
    const set = (hovered) => {
      this.hovered = hovered;
      this.rehighlight();
    };
    row.addEventListener("mouseenter", () => set(index));
    row.addEventListener("mouseleave", () => set(-1));
    row.addEventListener("focus", () => set(index));
    row.addEventListener("blur", () => set(-1));
    const choose = () => {
      this.selected = this.selected === index ? -1 : index;
      this.rehighlight();
    };
    row.addEventListener("click", choose);
    row.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        choose();
      }
    });
    return row;
  }

  boxDetails(face) {
    const { box } = face;
    return h("details", { class: "box-details" }, h("summary", { text: "Box" }),
      h("span", { class: "muted", text: `x ${box.x_min}–${box.x_max}, y ${box.y_min}–${box.y_max} (pixels)` }));
  }

  showFaces(faces, threshold) {
    const recognition = this.type === "RECOGNITION";
    const named = faces.length <= NAMED_ON_PHOTO;
    const read = (face) => {
      const candidates = recognition ? bySubject(face.subjects || []) : [];
      const best = candidates[0] || null;
      return { candidates, best, known: Boolean(best && best.similarity >= threshold) };
    };
    const drawn = this.draw(this.canvases[0], faces, (face, index) => {
      const { best, known } = read(face);
      if (!recognition) return { text: `#${index + 1}`, colour: MATCH_COLOUR };
      const who = known ? `${best.subject} ${similarity(best.similarity)}` : "Unknown";
      return { text: named ? `#${index + 1} ${who}` : `#${index + 1}`, colour: known ? MATCH_COLOUR : OTHER_COLOUR };
    });
    const rows = faces.map((face, index) => {
      const { candidates, best, known } = read(face);
      const matched = (candidate) => (candidate.faces > 1 ? ` (${candidate.faces} of their faces matched)` : "");
      const who = h("td", { class: "subjects", dataset: { label: "Who" } },
        known ? [h("strong", { class: "subject-name", text: best.subject }), ` ${similarity(best.similarity)}`, h("span", { class: "muted", text: matched(best) })]
          : [h("strong", { class: "unknown", text: "Unknown" }),
            h("small", { class: "muted closest" }, best ? `closest: ${best.subject} ${similarity(best.similarity)}, below ${similarity(threshold)}`
              : "nobody in the collection")],
        candidates.slice(1).map((candidate) => h("small", { class: "muted other-candidate" },
          `also ${candidate.subject} ${similarity(candidate.similarity)}${matched(candidate)}`)));
      return this.faceRow(index,
        h("td", { dataset: { label: "Face" } }, h("span", { class: "marker", text: `#${index + 1}` })),
        recognition ? who : null,
        h("td", { dataset: { label: "Traits" }, text: traits(face).join("; ") || "—" }),
        h("td", { dataset: { label: "Detection" } }, faceCertainty(face.box.probability), this.boxDetails(face)));
    });
    replace(this.results,
      drawn ? null : h("p", { class: "muted", text: UNDRAWABLE }),
      recognition ? h("p", { class: "muted", id: "threshold-note" },
        `A face whose best similarity is below the same-person threshold (${similarity(threshold)}) reads Unknown. `,
        named ? null : "The photo shows the faces' numbers; the table says who they are. ",
        "Point at a row to find its face.") : h("p", { class: "muted", text: "Point at a row to find its face on the photo." }),
      h("div", { class: "table-scroll" }, h("table", { class: "table faces-table" },
        h("thead", {}, h("tr", {}, ["Face", recognition ? "Who (similarity 0–1)" : null, "Traits", "Detection: is it a face?"]
          .filter((title) => title !== null).map((title) => h("th", { text: title })))),
        h("tbody", {}, rows))));
    this.rehighlight();
  }

  showVerification(answer, threshold) {
    const result = answer.result[0];
    const source = result.source_image_face;
    const same = (face) => face.similarity >= threshold;
    const sourceDrawn = this.draw(this.canvases[0], [source], () => ({ text: "source", colour: MATCH_COLOUR }));
    const targetDrawn = this.draw(this.canvases[1], result.face_matches, (face, index) => ({
      text: `#${index + 1} ${similarity(face.similarity)}`, colour: same(face) ? MATCH_COLOUR : OTHER_COLOUR }));
    const rows = result.face_matches.map((face, index) => this.faceRow(index,
      h("td", { dataset: { label: "Target face" } }, h("span", { class: "marker", text: `#${index + 1}` })),
      h("td", { dataset: { label: "Similarity" } }, h("strong", { text: similarity(face.similarity) }), " ",
        h("span", { class: "muted", text: same(face) ? "same person" : "different people" })),
      h("td", { dataset: { label: "Traits" }, text: traits(face).join("; ") || "—" })));
    replace(this.results,
      sourceDrawn && targetDrawn ? null : h("p", { class: "muted", text: UNDRAWABLE }),
      h("p", {}, "Source face: ", traits(source).join("; ") || "found"),
      h("p", { class: "muted", id: "threshold-note", text: `From a similarity of ${similarity(threshold)} (the same-person threshold) the faces read as the same person.` }),
      result.face_matches.length === 0 ? h("p", { class: "empty", text: "No face found in the target image." }) : h("table", { class: "table faces-table" },
        h("thead", {}, h("tr", {}, ["Target face", "Similarity (0–1)", "Traits"].map((title) => h("th", { text: title })))),
        h("tbody", {}, rows)));
    this.rehighlight();
  }

  /** The photo as drawn, as large as the window allows. */
  enlarge(canvas) {
    if (canvas.hidden || !canvas.width) return;
    return showDialog("Photo", h("img", { class: "large-photo", id: "large-photo", src: canvas.toDataURL("image/png"), alt: "The photo with its faces, enlarged" }));
  }
}
