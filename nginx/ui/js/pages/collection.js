// A recognition service's collection: subjects (search, add, rename or merge, delete), uploads of
// many images at once, and the faces as thumbnails (select, delete).

import { ServiceApi } from "../api.js";
import { busy, confirmDialog, errorArea, formDialog, h, heading, replace, toast } from "../dom.js";
import { dropZone, pool, subjectFromPath } from "../files.js";
import { loadService, serviceLinks, serviceTrail } from "../service.js";

const PAGE_SIZE = 24;
const SHOWN_SUBJECTS = 300;
const UPLOADS_AT_ONCE = 3;
const THUMBNAILS_AT_ONCE = 6;

export async function render(container, { appId, serviceId }) {
  const { app, service } = await loadService(appId, serviceId);
  if (service.type !== "RECOGNITION") {
    replace(container, heading(serviceTrail(app, service, "Collection")),
      h("p", { class: "empty", text: "Only recognition services have a collection." }));
    return null;
  }
  const page = new CollectionPage(new ServiceApi(service.apiKey));
  replace(container, heading(serviceTrail(app, service, "Collection")), serviceLinks(app, service, "collection"), page.element);
  await page.reload();
  return () => page.leave();
}

class CollectionPage {
  constructor(api) {
    this.api = api;
    this.subjects = [];
    this.selected = null; // the subject whose faces are shown; null: every face
    this.pageNumber = 0;
    this.checked = new Set();
    this.thumbnails = new Map(); // image id -> blob URL
    this.left = false;

    this.search = h("input", { type: "search", placeholder: "Search subjects", "aria-label": "Search subjects", id: "subject-search" });
    this.search.addEventListener("input", () => this.showSubjects());
    this.subjectList = h("ul", { class: "subject-list", id: "subjects" });
    this.subjectCount = h("span", { class: "muted" });
    this.facesPanel = h("section", { class: "card faces", id: "faces" });
    this.uploads = new Uploads(api, () => this.reload());
    this.element = h("div", { class: "collection" },
      h("aside", { class: "card subjects" },
        h("h2", {}, "Subjects ", this.subjectCount), this.search, this.addSubjectForm(), this.subjectList),
      h("div", { class: "stack" }, this.uploads.element, this.facesPanel));
  }

  /** Show the subjects and the faces as they are now. */
  async reload() {
    await this.loadSubjects();
    await this.loadFaces();
  }

  leave() {
    this.left = true;
    for (const url of this.thumbnails.values()) URL.revokeObjectURL(url);
    this.thumbnails.clear();
  }

  async loadSubjects() {
    this.subjects = (await this.api.request("GET", "/recognition/subjects")).subjects;
    if (this.selected !== null && !this.subjects.includes(this.selected)) this.selected = null;
    this.uploads.subjectsChanged(this.subjects, this.selected);
    this.showSubjects();
  }

  showSubjects() {
    const query = this.search.value.trim().toLowerCase();
    const matching = this.subjects.filter((name) => name.toLowerCase().includes(query));
    this.subjectCount.textContent = `(${this.subjects.length.toLocaleString()})`;
    const item = (name, label) => {
      const current = name === this.selected;
      const open = h("button", { type: "button", class: `subject${current ? " current" : ""}`, text: label,
        "aria-current": current ? "true" : false, onclick: () => this.select(name) });
      return h("li", { dataset: name === null ? {} : { subject: name } }, open);
    };
    replace(this.subjectList,
      query ? null : item(null, "All faces"),
      matching.slice(0, SHOWN_SUBJECTS).map((name) => item(name, name)),
      matching.length > SHOWN_SUBJECTS ? h("li", { class: "muted", text: `… and ${matching.length - SHOWN_SUBJECTS} more: refine the search` }) : null,
      matching.length === 0 ? h("li", { class: "muted", text: query ? "No subject matches." : "No subjects yet: add one or upload images." }) : null);
  }

  addSubjectForm() {
    const errors = errorArea();
    const name = h("input", { name: "subject", required: true, maxlength: 50, placeholder: "New subject", "aria-label": "New subject" });
    const submit = h("button", { type: "submit", text: "Add" });
    const form = h("form", { class: "inline-form compact", id: "add-subject" }, name, submit, errors.element);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const added = await busy(submit, () => this.api.request("POST", "/recognition/subjects", { body: { subject: name.value.trim() } }), errors);
      if (!added) return;
      name.value = "";
      toast(`Subject ${added.subject} added`);
      this.selected = added.subject;
      await this.reload();
    });
    return form;
  }

  async select(name) {
    this.selected = name;
    this.pageNumber = 0;
    this.checked.clear();
    this.showSubjects();
    this.uploads.subjectsChanged(this.subjects, name);
    await busy(null, () => this.loadFaces());
  }

  async rename(name) {
    const existing = new Set(this.subjects.map((subject) => subject.toLowerCase()));
    let merged = false;
    const values = await formDialog({
      title: `Rename ${name}`, confirm: "Rename",
      text: "Giving it the name of another subject merges the two: every face goes to that subject.",
      fields: [{ name: "subject", label: "New name", value: name }],
      submit: async ({ subject }) => {
        const target = subject.trim();
        merged = target.toLowerCase() !== name.toLowerCase() && existing.has(target.toLowerCase());
        const answer = await this.api.request("PUT", `/recognition/subjects/${encodeURIComponent(name)}`, { body: { subject: target } });
        if (!answer.updated) throw new Error(`${name} was not renamed (it may have been deleted meanwhile)`);
      },
    });
    if (!values) return;
    const target = values.subject.trim();
    toast(merged ? `${name} merged into ${target}` : `${name} renamed to ${target}`);
    if (this.selected === name) this.selected = this.subjects.find((subject) => subject.toLowerCase() === target.toLowerCase()) || target;
    await this.reload();
  }

  async deleteSubject(name) {
    const done = await confirmDialog(`Delete ${name}?`, "The subject and all of its faces are deleted. This cannot be undone.", "Delete",
      () => this.api.request("DELETE", `/recognition/subjects/${encodeURIComponent(name)}`));
    if (!done) return;
    toast(`${name} deleted`);
    await this.reload();
  }

  async loadFaces() {
    const params = { page: this.pageNumber, size: PAGE_SIZE, subject: this.selected ?? undefined };
    let listing = await this.api.request("GET", "/recognition/faces", { params });
    if (listing.faces.length === 0 && this.pageNumber > 0) {
      this.pageNumber = Math.max(0, listing.total_pages - 1);
      listing = await this.api.request("GET", "/recognition/faces", { params: { ...params, page: this.pageNumber } });
    }
    const shown = new Set(listing.faces.map((face) => face.image_id));
    for (const id of [...this.checked]) if (!shown.has(id)) this.checked.delete(id);
    this.showFaces(listing);
  }

  showFaces(listing) {
    const title = this.selected === null ? "All faces" : `Faces of ${this.selected}`;
    const deleteButton = h("button", { type: "button", class: "danger", id: "delete-selected", disabled: this.checked.size === 0,
      text: `Delete selected (${this.checked.size})`, onclick: (event) => busy(event.currentTarget, () => this.deleteChecked()) });
    // A face's check box was ticked or cleared: the selection, its card and the delete button follow.
    const follow = (box, id) => {
      if (box.checked) this.checked.add(id);
      else this.checked.delete(id);
      box.closest(".face").classList.toggle("checked", box.checked);
      deleteButton.disabled = this.checked.size === 0;
      deleteButton.textContent = `Delete selected (${this.checked.size})`;
    };
    const boxes = [];
    const cards = listing.faces.map((face) => {
      const box = h("input", { type: "checkbox", checked: this.checked.has(face.image_id), "aria-label": `Select a face of ${face.subject}` });
      box.addEventListener("change", () => follow(box, face.image_id));
      boxes.push([box, face.image_id]);
      const image = h("img", { alt: `A face of ${face.subject}`, class: "thumb", loading: "lazy" });
      const card = h("label", { class: `face${box.checked ? " checked" : ""}`, dataset: { imageId: face.image_id, subject: face.subject } },
        image, box, h("span", { class: "face-subject", text: face.subject }));
      return { card, image, id: face.image_id };
    });
    const selectAll = h("button", { type: "button", text: "Select all on this page", disabled: cards.length === 0, onclick: () => {
      const all = boxes.every(([box]) => box.checked);
      for (const [box, id] of boxes) {
        box.checked = !all;
        follow(box, id);
      }
    } });
    const pages = listing.total_pages;
    const pager = pages > 1 ? h("div", { class: "pager" },
      h("button", { type: "button", text: "‹ Previous", disabled: this.pageNumber === 0, onclick: () => this.turn(-1) }),
      h("span", { text: `Page ${this.pageNumber + 1} of ${pages}` }),
      h("button", { type: "button", text: "Next ›", disabled: this.pageNumber >= pages - 1, onclick: () => this.turn(1) })) : null;
    const subject = this.selected;
    const subjectTools = subject === null ? null : [
      h("button", { type: "button", id: "rename-subject", text: "Rename subject",
        onclick: (event) => busy(event.currentTarget, () => this.rename(subject)) }),
      h("button", { type: "button", class: "danger", id: "delete-subject", text: "Delete subject",
        onclick: (event) => busy(event.currentTarget, () => this.deleteSubject(subject)) })];
    replace(this.facesPanel,
      h("div", { class: "panel-head" }, h("h2", {}, title, " ", h("span", { class: "muted", id: "faces-total", text: `(${listing.total_elements.toLocaleString()})` })),
        h("div", { class: "actions" }, subjectTools, selectAll, deleteButton)),
      cards.length ? h("div", { class: "face-grid" }, cards.map(({ card }) => card))
        : h("p", { class: "empty", text: "No faces yet: drop images above to add some." }),
      pager);
    this.loadThumbnails(cards);
  }

  async loadThumbnails(cards) {
    await pool(cards, THUMBNAILS_AT_ONCE, async ({ image, id }) => {
      if (this.left) return;
      try {
        let url = this.thumbnails.get(id);
        if (!url) {
          const blob = await this.api.faceImage(id);
          if (this.left) return;
          if (blob.size === 0) {
            image.replaceWith(h("span", { class: "thumb none", text: "no image kept" }));
            return;
          }
          url = URL.createObjectURL(blob.type.startsWith("image/") ? blob : blob.slice(0, blob.size, "image/jpeg"));
          this.thumbnails.set(id, url);
        }
        image.src = url;
      } catch (error) {
        image.replaceWith(h("span", { class: "thumb none", text: error.message }));
      }
    });
  }

  async turn(step) {
    this.pageNumber += step;
    await busy(null, () => this.loadFaces());
  }

  async deleteChecked() {
    const ids = [...this.checked];
    const done = await confirmDialog(`Delete ${ids.length} face${ids.length === 1 ? "" : "s"}?`, "This cannot be undone.", "Delete",
      () => this.api.request("POST", "/recognition/faces/delete", { body: ids }));
    if (!done) return;
    toast(`${ids.length} face${ids.length === 1 ? "" : "s"} deleted`);
    for (const id of ids) {
      URL.revokeObjectURL(this.thumbnails.get(id));
      this.thumbnails.delete(id);
    }
    this.checked.clear();
    await this.reload();
  }
}

/** The upload area: a drop zone, where the files go, and each file's progress and result. */
class Uploads {
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
          "Name each subject after its folder or file name (Ada_Lovelace_0001.jpg → Ada_Lovelace)")),
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
    const items = picked.map(({ file, folder }) => {
      const subject = this.fromNames.checked ? subjectFromPath(file, folder) : fixed;
      const state = h("span", { class: "state pending", text: "waiting" });
      const row = h("li", { dataset: { file: file.name } }, h("span", { class: "file-name", text: file.name }),
        h("span", { class: "muted", text: subject ? ` → ${subject}` : "" }), state);
      return { file, subject, state, row };
    });
    replace(this.results, items.map((item) => item.row));
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
      const mark = (kind, text) => {
        item.state.className = `state ${kind}`;
        item.state.textContent = text;
      };
      try {
        if (!item.subject) throw new Error("No subject name in the file name");
        mark("busy", "uploading…");
        await this.api.request("POST", "/recognition/faces", { params: { subject: item.subject }, form: { file: item.file } });
        mark("ok", "added");
      } catch (error) {
        failed += 1;
        mark("failed", error.message);
      }
      done += 1;
      show();
    });
    this.running = false;
    toast(failed ? `${total - failed} of ${total} images added; ${failed} failed (see the list)` : `${total} images added`, failed ? "error" : "ok");
    await busy(null, this.onFinished);
  }
}
