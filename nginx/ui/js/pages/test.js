// A service's test page: pick an image (two for verification), see what the API finds drawn on it,
// the request as curl and the raw JSON answer.

import { ServiceApi } from "../api.js";
import { busy, copyText, errorArea, field, h, heading, replace, toast } from "../dom.js";
import { decode, drawFaces, MATCH_COLOUR, OTHER_COLOUR } from "../draw.js";
import { dropZone } from "../files.js";
import { loadService, serviceLinks, serviceTrail } from "../service.js";

const PLUGINS = [["landmarks", "Landmarks", true], ["age", "Age", true], ["gender", "Gender", true], ["pose", "Head pose", false],
  ["mask", "Mask", false]];
// Similarities are calibrated so that 0.5 is the same-person threshold.
const SAME_PERSON = 0.5;
const UNDRAWABLE = "This browser cannot show this image format; the faces are listed below.";

// What each service type sends and how its answer reads.
const KINDS = {
  RECOGNITION: { path: "/recognition/recognize", action: "Recognize", images: [["file", "Image"]] },
  DETECTION: { path: "/detection/detect", action: "Detect", images: [["file", "Image"]] },
  VERIFICATION: { path: "/verification/verify", action: "Verify",
    images: [["source_image", "Source image (one face)"], ["target_image", "Target image"]] },
};

export async function render(container, { appId, serviceId }) {
  const { app, service } = await loadService(appId, serviceId);
  const page = new TestPage(new ServiceApi(service.apiKey), service.type);
  replace(container, heading(serviceTrail(app, service, "Test")), serviceLinks(app, service, "test"), page.element);
  return () => page.leave();
}

function percent(value) {
  return `${(value * 100).toFixed(1)}%`;
}

/** What a face's label and table row say besides its subject or similarity. */
function traits(face) {
  const parts = [];
  if (face.gender) parts.push(`${face.gender.value.toLowerCase()} (${percent(face.gender.probability)})`);
  if (face.age) parts.push(`age ${face.age.low}–${face.age.high}`);
  if (face.mask) parts.push(face.mask.value.replaceAll("_", " ").toLowerCase());
  if (face.pose) parts.push(`yaw ${face.pose.yaw}°, pitch ${face.pose.pitch}°, roll ${face.pose.roll}°`);
  return parts;
}

function shortTraits(face) {
  const parts = [];
  if (face.gender) parts.push(face.gender.value.toLowerCase());
  if (face.age) parts.push(`${face.age.low}–${face.age.high}`);
  return parts.join(", ");
}

class TestPage {
  constructor(api, type) {
    this.api = api;
    this.kind = KINDS[type];
    this.type = type;
    this.files = {};
    this.bitmaps = new Map(); // canvas -> the image drawn on it
    this.errors = errorArea();
    this.plugins = PLUGINS.map(([name, label, checked]) => {
      const box = h("input", { type: "checkbox", value: name, checked, id: `plugin-${name}` });
      return { box, element: h("label", { class: "check", for: box.id }, box, label) };
    });
    this.threshold = h("input", { type: "number", min: 0, max: 1, step: 0.05, placeholder: "0.8", id: "det-prob-threshold", name: "threshold" });
    this.limit = h("input", { type: "number", min: 0, step: 1, placeholder: "all", id: "limit", name: "limit" });
    this.predictions = h("input", { type: "number", min: 1, step: 1, value: 1, id: "prediction-count", name: "predictions" });
    this.run = h("button", { type: "button", class: "primary", text: this.kind.action, disabled: true, id: "run-test",
      onclick: () => busy(this.run, () => this.send(), this.errors) });
    this.pickers = this.kind.images.map(([name, label]) => this.picker(name, label));
    this.canvases = this.kind.images.map(([name]) => h("canvas", { class: "result-image", id: `canvas-${name}` }));
    this.results = h("div", { id: "results" });
    this.curl = h("pre", { class: "code", id: "curl" });
    this.raw = h("pre", { class: "code", id: "raw-json" });
    this.output = h("section", { class: "stack", hidden: true },
      h("div", { class: "card" }, h("h2", { text: "Result" }), h("div", { class: "canvases" }, this.canvases), this.results),
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
          field("Detection threshold", this.threshold), field("Most faces", this.limit),
          type === "RECOGNITION" ? field("Candidates per face", this.predictions) : null,
          this.run),
        this.errors.element),
      this.output);
  }

  leave() {
    for (const bitmap of this.bitmaps.values()) bitmap.close();
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
      if (ready) busy(this.run, () => this.send(), this.errors);
    });
    return element;
  }

  params() {
    const plugins = this.plugins.filter((plugin) => plugin.box.checked).map((plugin) => plugin.box.value);
    return {
      face_plugins: plugins.join(","),
      det_prob_threshold: this.threshold.value,
      limit: this.limit.value,
      prediction_count: this.type === "RECOGNITION" ? this.predictions.value : "",
    };
  }

  curlCommand(params) {
    const url = new URL(this.api.url(this.kind.path, params), location.origin).href;
    const quote = (text) => `"${text.replaceAll("\\", "\\\\").replaceAll("\"", "\\\"").replaceAll("$", "\\$").replaceAll("`", "\\`")}"`;
    const files = this.kind.images.map(([name]) => `  -F ${quote(`${name}=@${this.files[name].name}`)}`);
    return [`curl -X POST ${quote(url)}`, `  -H ${quote(`x-api-key: ${this.api.apiKey}`)}`, ...files].join(" \\\n");
  }

  async send() {
    const params = this.params();
    this.curl.textContent = this.curlCommand(params);
    this.output.hidden = false;
    this.raw.textContent = "…";
    replace(this.results, h("p", { class: "muted", text: "Waiting for the answer…" }));
    const form = Object.fromEntries(this.kind.images.map(([name]) => [name, this.files[name]]));
    let answer;
    try {
      answer = await this.api.request("POST", this.kind.path, { params, form });
    } catch (error) {
      this.raw.textContent = JSON.stringify({ message: error.message, code: error.code }, null, 2);
      replace(this.results);
      for (const canvas of this.canvases) canvas.hidden = true; // an earlier answer's drawing would mislead
      throw error;
    }
    this.raw.textContent = JSON.stringify(answer, null, 2);
    if (this.type === "VERIFICATION") await this.showVerification(answer);
    else await this.showFaces(answer.result);
  }

  async draw(canvas, file, faces, label) {
    this.bitmaps.get(canvas)?.close();
    this.bitmaps.delete(canvas);
    const bitmap = await decode(file);
    if (!bitmap) {
      canvas.hidden = true;
      return false;
    }
    this.bitmaps.set(canvas, bitmap);
    canvas.hidden = false;
    drawFaces(canvas, bitmap, faces, label);
    return true;
  }

  async showFaces(faces) {
    const recognition = this.type === "RECOGNITION";
    const best = (face) => (face.subjects && face.subjects[0]) || null;
    const drawn = await this.draw(this.canvases[0], this.files.file, faces, (face, index) => {
      const match = best(face);
      const name = recognition ? (match ? `${match.subject} ${match.similarity.toFixed(2)}` : "no match") : `#${index + 1}`;
      const known = !recognition || (match && match.similarity >= SAME_PERSON);
      return { lines: [name, shortTraits(face)].filter(Boolean), colour: known ? MATCH_COLOUR : OTHER_COLOUR };
    });
    const rows = faces.map((face, index) => h("tr", { class: "face-row" },
      h("td", { text: `#${index + 1}` }),
      recognition ? h("td", { class: "subjects" }, face.subjects.length
        ? face.subjects.map((candidate) => h("div", {},
          h("strong", { class: "subject-name", text: candidate.subject }), ` ${percent(candidate.similarity)}`,
          candidate.similarity < SAME_PERSON ? h("span", { class: "muted", text: " (below the same-person threshold)" }) : null))
        : h("span", { class: "muted", text: "nobody in the collection" })) : null,
      h("td", { text: traits(face).join("; ") }),
      h("td", { text: percent(face.box.probability) }),
      h("td", { class: "muted", text: `${face.box.x_min}, ${face.box.y_min} – ${face.box.x_max}, ${face.box.y_max}` })));
    replace(this.results,
      drawn ? null : h("p", { class: "muted", text: UNDRAWABLE }),
      faces.length === 0 ? h("p", { class: "empty", text: "No face found." }) : h("table", { class: "table" },
        h("thead", {}, h("tr", {}, ["Face", recognition ? "Subject and similarity" : null, "Traits", "Face probability", "Box"]
          .filter((title) => title !== null).map((title) => h("th", { text: title })))),
        h("tbody", {}, rows)));
  }

  async showVerification(answer) {
    const result = answer.result[0];
    const source = result.source_image_face;
    const sourceDrawn = await this.draw(this.canvases[0], this.files.source_image, [source],
      () => ({ lines: ["source", shortTraits(source)].filter(Boolean), colour: MATCH_COLOUR }));
    const targetDrawn = await this.draw(this.canvases[1], this.files.target_image, result.face_matches, (face) => ({
      lines: [`similarity ${face.similarity.toFixed(2)}`, shortTraits(face)].filter(Boolean),
      colour: face.similarity >= SAME_PERSON ? MATCH_COLOUR : OTHER_COLOUR,
    }));
    const rows = result.face_matches.map((face, index) => h("tr", { class: "face-row" },
      h("td", { text: `#${index + 1}` }),
      h("td", {}, h("strong", { text: percent(face.similarity) }), " ",
        h("span", { class: "muted", text: face.similarity >= SAME_PERSON ? "same person" : "different people" })),
      h("td", { text: traits(face).join("; ") })));
    replace(this.results,
      sourceDrawn && targetDrawn ? null : h("p", { class: "muted", text: UNDRAWABLE }),
      h("p", {}, "Source face: ", traits(source).join("; ") || "found"),
      result.face_matches.length === 0 ? h("p", { class: "empty", text: "No face found in the target image." }) : h("table", { class: "table" },
        h("thead", {}, h("tr", {}, ["Target face", "Similarity", "Traits"].map((title) => h("th", { text: title })))),
        h("tbody", {}, rows)));
  }
}
