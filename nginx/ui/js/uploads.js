// The collection's upload area: a drop zone, the subject the photos show, each file's progress and
// result. A photo with several faces asks which face to enrol (cut out in the browser); failed
// files stay listed to be retried.

import { busy, errorArea, h, replace, showDialog, toast } from "./dom.js";
import { dropZone, pool, subjectFromPath } from "./files.js";
import { faceFile, thumbnailUrl } from "./crops.js";

const UPLOADS_AT_ONCE = 3;
const SEVERAL_FACES = 31;

export class Uploads {
  constructor(api, onFinished) {
    this.api = api;
    this.onFinished = onFinished;
    this.running = false;
    const input = h("input", { type: "file", accept: "image/*", multiple: true, hidden: true, id: "upload-input" });
    const zone = h("div", { class: "dropzone", id: "dropzone", "aria-label": "Drop images here or choose them" },
      h("strong", { text: "Drop images or folders here" }), h("span", { class: "muted", text: " or click to choose files" }));
    this.subject = h("input", { name: "upload-subject", list: "upload-subjects", maxlength: 50, placeholder: "Subject name", id: "upload-subject",
      "aria-label": "Subject of the uploaded images" });
    this.choices = h("datalist", { id: "upload-subjects" });
    this.fromNames = h("input", { type: "checkbox", id: "subject-from-names" });
    this.fromNames.addEventListener("change", () => {
      this.subject.disabled = this.fromNames.checked;
    });
    this.errors = errorArea();
    this.progress = h("progress", { max: 1, value: 0, hidden: true, id: "upload-progress" });
    this.summary = h("span", { class: "muted", id: "upload-summary" });
    this.results = h("ol", { class: "upload-results", id: "upload-results" });
    dropZone(zone, input, (files) => this.upload(files));
    this.element = h("section", { class: "card" }, h("h2", { text: "Add faces" }),
      h("div", { class: "inline-form" },
        h("label", { for: "upload-subject" }, "Subject", this.subject),
        h("label", { class: "check", for: "subject-from-names" }, this.fromNames,
          h("span", { text: "Name each subject after its folder or file name (Ada_Lovelace_0001.jpg → Ada_Lovelace)" }))),
      this.choices, zone, input, this.errors.element, h("div", { class: "progress-line" }, this.progress, this.summary), this.results);
  }

  subjectsChanged(subjects, selected) {
    replace(this.choices, subjects.slice(0, 1000).map((name) => h("option", { value: name })));
    if (selected !== null && !this.running) this.subject.value = selected;
  }

  async upload(picked) {
    this.errors.clear();
    if (this.running) {
      this.errors.show(new Error("Wait until the current upload has finished"));
      return;
    }
    const fixed = this.subject.value.trim();
    if (!this.fromNames.checked && !fixed) {
      this.errors.show(new Error("Type the subject these images show, or name subjects after the files"));
      return;
    }
    this.running = true;
    // Earlier failures stay listed (to be retried); earlier successes make room.
    for (const row of [...this.results.children]) if (!row.querySelector(".state.failed")) row.remove();
    const items = picked.map(({ file, folder }) => this.item(file, this.fromNames.checked ? subjectFromPath(file, folder) : fixed));
    this.results.append(...items.map((item) => item.row));
    let done = 0;
    let failed = 0;
    const total = items.length;
    this.progress.hidden = false;
    this.progress.max = total;
    const show = () => {
      this.progress.value = done;
      this.summary.textContent = `${done} of ${total} done${failed ? `, ${failed} failed` : ""}`;
    };
    show();
    await pool(items, UPLOADS_AT_ONCE, async (item) => {
      if (!(await this.send(item))) failed += 1;
      done += 1;
      show();
    });
    this.running = false;
    toast(failed ? `${total - failed} of ${total} images added; ${failed} failed (see the list)` : `${total} images added`, failed ? "error" : "ok");
    await busy(null, this.onFinished);
  }

  /** A file's row in the list: its name, subject, state and what can be done about a failure. */
  item(file, subject) {
    const state = h("span", { class: "state pending", text: "waiting" });
    const tools = h("span", { class: "row-tools" });
    const row = h("li", { dataset: { file: file.name } }, h("span", { class: "file-name", text: file.name }),
      h("span", { class: "muted", text: subject ? ` → ${subject}` : "" }), state, tools);
    return { file, subject, state, tools, row };
  }

  mark(item, kind, text) {
    item.state.className = `state ${kind}`;
    item.state.textContent = text;
  }

  /** Enrol `item.file` (or `file`, a face cut out of it); whether it was added. Failures say what to do. */
  async send(item, file = item.file) {
    replace(item.tools);
    try {
      if (!item.subject) throw new Error("No subject name in the file name: type the subject and retry");
      this.mark(item, "busy", "uploading…");
      await this.api.request("POST", "/recognition/faces", { params: { subject: item.subject }, form: { file } });
      this.mark(item, "ok", file === item.file ? "added" : `added (${file.name})`);
      return true;
    } catch (error) {
      const several = error.code === SEVERAL_FACES;
      this.mark(item, "failed", several ? "several faces in this photo: pick the one to enrol" : error.message);
      replace(item.tools,
        several ? h("button", { type: "button", class: "small primary pick-face", text: "Pick the face",
          onclick: (event) => busy(event.currentTarget, () => this.pickFace(item)) }) : null,
        h("button", { type: "button", class: "small retry", text: "Retry", onclick: (event) => busy(event.currentTarget, async () => {
          item.subject = item.subject || this.subject.value.trim();
          if (await this.send(item)) await this.onFinished();
        }) }));
      return false;
    }
  }

  /** Show the photo's faces as crops; the one chosen is cut out and enrolled on its own. */
  async pickFace(item) {
    const found = await this.api.request("POST", "/recognition/recognize", { params: { face_plugins: "", prediction_count: 1 }, form: { file: item.file } });
    const urls = [];
    let chosen = null;
    const buttons = await Promise.all(found.result.map(async (face, index) => {
      const url = await thumbnailUrl(item.file, face.box);
      urls.push(url);
      const match = face.subjects?.[0];
      return h("button", { type: "button", class: "face-choice", dataset: { index: String(index) },
        "aria-label": `Face #${index + 1}${match ? `, resembles ${match.subject}` : ""}`,
        onclick: (event) => {
          chosen = face;
          event.currentTarget.closest("dialog").close();
        } }, h("img", { src: url, alt: "" }), h("span", { text: `#${index + 1}` }));
    }));
    await showDialog(`Which face is ${item.subject}?`, h("p", { class: "muted", text: `${item.file.name} shows ${buttons.length} faces; the one you pick is cut out and enrolled.` }),
      h("div", { class: "face-choices" }, buttons));
    for (const url of urls) URL.revokeObjectURL(url);
    if (!chosen) return;
    const index = found.result.indexOf(chosen);
    if (await this.send(item, await faceFile(item.file, chosen.box, index + 1))) {
      toast(`Face #${index + 1} of ${item.file.name} added to ${item.subject}`);
      await this.onFinished();
    }
  }
}
