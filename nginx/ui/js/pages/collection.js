// A recognition service's collection as people: a card per subject (a face crop, how many faces),
// a subject's faces (open one large, move it to another subject, delete), rename, merge, delete
// subjects, and uploads of many images at once.

import { ServiceApi } from "../api.js";
import { busy, confirmDialog, errorArea, formDialog, h, heading, replace, showDialog, toast } from "../dom.js";
import { decode, drawFaces, MATCH_COLOUR } from "../draw.js";
import { pool } from "../files.js";
import { thumbnailUrl } from "../crops.js";
import { loadService, serviceLinks, serviceTrail } from "../service.js";
import { Uploads } from "../uploads.js";

const PAGE_SIZE = 24;
const SHOWN_SUBJECTS = 300;
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
    this.selected = null; // the subject whose faces are shown; null: the people
    this.pageNumber = 0;
    this.checked = new Set();
    this.thumbnails = new Map(); // image id -> blob URL of its face crop
    this.left = false;
    this.drawing = 0; // counts the faces panel's drawings; only the latest one is shown

    this.search = h("input", { type: "search", placeholder: "Search people", "aria-label": "Search people", id: "subject-search" });
    this.search.addEventListener("input", () => {
      this.showSubjects();
      if (this.selected === null) {
        this.pageNumber = 0;
        busy(null, () => this.showPeople());
      }
    });
    this.subjectList = h("ul", { class: "subject-list", id: "subjects" });
    this.subjectCount = h("span", { class: "muted" });
    this.facesPanel = h("section", { class: "card faces", id: "faces" });
    this.uploads = new Uploads(api, () => this.reload());
    this.element = h("div", { class: "collection" },
      h("aside", { class: "card subjects" },
        h("h2", {}, "People ", this.subjectCount), this.search, this.addSubjectForm(), this.subjectList),
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

  matching() {
    const query = this.search.value.trim().toLowerCase();
    return this.subjects.filter((name) => name.toLowerCase().includes(query));
  }

  showSubjects() {
    const query = this.search.value.trim();
    const matching = this.matching();
    this.subjectCount.textContent = `(${this.subjects.length.toLocaleString()})`;
    const item = (name, label) => {
      const current = name === this.selected;
      const open = h("button", { type: "button", class: `subject${current ? " current" : ""}`, text: label,
        "aria-current": current ? "true" : false, onclick: () => this.select(name) });
      return h("li", { dataset: name === null ? {} : { subject: name } }, open);
    };
    replace(this.subjectList,
      query ? null : item(null, "Everyone"),
      matching.slice(0, SHOWN_SUBJECTS).map((name) => item(name, name)),
      matching.length > SHOWN_SUBJECTS ? h("li", { class: "muted", text: `… and ${matching.length - SHOWN_SUBJECTS} more: refine the search` }) : null,
      matching.length === 0 ? h("li", { class: "muted", text: query ? "Nobody matches." : "Nobody yet: add a person or upload images." }) : null);
  }

  addSubjectForm() {
    const errors = errorArea();
    const name = h("input", { name: "subject", required: true, maxlength: 50, placeholder: "New person", "aria-label": "New person" });
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

  async loadFaces() {
    if (this.selected === null) await this.showPeople();
    else await this.showSubjectFaces();
  }

  // The people: a card per subject -----------------------------------------------------------

  async showPeople() {
    const drawing = ++this.drawing; // a later search's cards win over an earlier one's slower answers
    const matching = this.matching();
    const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
    this.pageNumber = Math.min(this.pageNumber, pages - 1);
    const shown = matching.slice(this.pageNumber * PAGE_SIZE, (this.pageNumber + 1) * PAGE_SIZE);
    // The first face of each subject is its cover; the listing's total is its face count.
    const firsts = await Promise.all(shown.map((subject) => this.api.request("GET", "/recognition/faces", { params: { subject, size: 1 } })));
    const cards = shown.map((subject, index) => {
      const listing = firsts[index];
      const face = listing.faces[0];
      const image = face ? h("img", { alt: "", class: "thumb", loading: "lazy" }) : h("span", { class: "thumb none", text: "no face yet" });
      const count = listing.total_elements;
      const card = h("button", { type: "button", class: "person", dataset: { subject, faces: String(count) },
        "aria-label": `${subject}, ${count} face${count === 1 ? "" : "s"}`, onclick: () => this.select(subject) },
      image, h("span", { class: "person-name", text: subject }), h("span", { class: "muted person-count", text: `${count} face${count === 1 ? "" : "s"}` }));
      return { card, image, face };
    });
    if (this.left || this.selected !== null || drawing !== this.drawing) return;
    const total = this.subjects.length;
    replace(this.facesPanel,
      h("div", { class: "panel-head" }, h("h2", {}, "Everyone ", h("span", { class: "muted", id: "faces-total", text: `(${total.toLocaleString()} ${total === 1 ? "person" : "people"})` }))),
      cards.length ? h("div", { class: "people-grid", id: "people" }, cards.map(({ card }) => card))
        : h("p", { class: "empty", text: matching.length || !total ? "Nobody yet: drop photos above, one person per photo." : "Nobody matches the search." }),
      this.pager(pages));
    this.loadThumbnails(cards.filter(({ face }) => face));
  }

  // One subject's faces ---------------------------------------------------------------------------

  async showSubjectFaces() {
    const drawing = ++this.drawing;
    const subject = this.selected;
    const params = { page: this.pageNumber, size: PAGE_SIZE, subject };
    let listing = await this.api.request("GET", "/recognition/faces", { params });
    if (listing.faces.length === 0 && this.pageNumber > 0) {
      this.pageNumber = Math.max(0, listing.total_pages - 1);
      listing = await this.api.request("GET", "/recognition/faces", { params: { ...params, page: this.pageNumber } });
    }
    if (this.left || this.selected !== subject || drawing !== this.drawing) return;
    const shown = new Set(listing.faces.map((face) => face.image_id));
    for (const id of [...this.checked]) if (!shown.has(id)) this.checked.delete(id);
    const selectionTools = [
      h("button", { type: "button", id: "move-selected", text: "Move selected to…", onclick: (event) => busy(event.currentTarget, () => this.moveChecked()) }),
      h("button", { type: "button", class: "danger", id: "delete-selected", onclick: (event) => busy(event.currentTarget, () => this.deleteChecked()) })];
    const follow = () => {
      for (const tool of selectionTools) tool.disabled = this.checked.size === 0;
      selectionTools[1].textContent = `Delete selected (${this.checked.size})`;
    };
    const boxes = [];
    const cards = listing.faces.map((face) => {
      const box = h("input", { type: "checkbox", checked: this.checked.has(face.image_id), "aria-label": `Select this face of ${face.subject}` });
      const image = h("img", { alt: `A face of ${face.subject}`, class: "thumb", loading: "lazy" });
      const card = h("div", { class: `face${box.checked ? " checked" : ""}`, dataset: { imageId: face.image_id, subject: face.subject } },
        h("label", { class: "face-pick" }, image, box),
        h("button", { type: "button", class: "small open-face", text: "Open", "aria-label": `Open the photo of this face of ${face.subject}`,
          onclick: (event) => busy(event.currentTarget, () => this.openFace(face)) }));
      box.addEventListener("change", () => {
        if (box.checked) this.checked.add(face.image_id);
        else this.checked.delete(face.image_id);
        card.classList.toggle("checked", box.checked);
        follow();
      });
      boxes.push(box);
      return { card, image, face };
    });
    const selectAll = h("button", { type: "button", text: "Select all", disabled: cards.length === 0, onclick: () => {
      const all = boxes.every((box) => box.checked);
      for (const box of boxes) {
        box.checked = !all;
        box.dispatchEvent(new Event("change"));
      }
    } });
    follow();
    replace(this.facesPanel,
      h("div", { class: "panel-head" },
        h("h2", {}, `Faces of ${subject} `, h("span", { class: "muted", id: "faces-total", text: `(${listing.total_elements.toLocaleString()})` })),
        h("div", { class: "actions" },
          h("button", { type: "button", id: "back-to-people", text: "‹ Everyone", onclick: () => this.select(null) }),
          h("button", { type: "button", id: "rename-subject", text: "Rename", onclick: (event) => busy(event.currentTarget, () => this.rename(subject)) }),
          h("button", { type: "button", id: "merge-subject", text: "Merge into…", onclick: (event) => busy(event.currentTarget, () => this.merge(subject)) }),
          h("button", { type: "button", class: "danger", id: "delete-subject", text: "Delete person", onclick: (event) => busy(event.currentTarget, () => this.deleteSubject(subject)) }))),
      h("div", { class: "actions selection-tools" }, selectAll, selectionTools),
      cards.length ? h("div", { class: "face-grid" }, cards.map(({ card }) => card))
        : h("p", { class: "empty", text: "No faces yet: drop photos of this person above." }),
      this.pager(listing.total_pages));
    this.loadThumbnails(cards);
  }

  pager(pages) {
    return pages > 1 ? h("div", { class: "pager" },
      h("button", { type: "button", text: "‹ Previous", disabled: this.pageNumber === 0, onclick: () => this.turn(-1) }),
      h("span", { text: `Page ${this.pageNumber + 1} of ${pages}` }),
      h("button", { type: "button", text: "Next ›", disabled: this.pageNumber >= pages - 1, onclick: () => this.turn(1) })) : null;
  }

  async turn(step) {
    this.pageNumber += step;
    await busy(null, () => this.loadFaces());
  }

  /** A stored face's photo (null when the service keeps none). */
  async photo(id) {
    const blob = await this.api.faceImage(id);
    if (blob.size === 0) return null;
    return blob.type.startsWith("image/") ? blob : blob.slice(0, blob.size, "image/jpeg");
  }

  async loadThumbnails(cards) {
    await pool(cards, THUMBNAILS_AT_ONCE, async ({ image, face }) => {
      if (this.left) return;
      const id = face.image_id;
      try {
        let url = this.thumbnails.get(id);
        if (!url) {
          const blob = await this.photo(id);
          if (this.left) return;
          if (!blob) {
            image.replaceWith(h("span", { class: "thumb none", text: "no photo kept" }));
            return;
          }
          url = await thumbnailUrl(blob, face.box);
          this.thumbnails.set(id, url);
        }
        image.src = url;
      } catch (error) {
        image.replaceWith(h("span", { class: "thumb none", text: error.message }));
      }
    });
  }

  /** The whole photo a face came from, large, with the face's box. */
  async openFace(face) {
    const blob = await this.photo(face.image_id);
    if (!blob) throw new Error("This service keeps no photos (SAVE_IMAGES_TO_DB=false)");
    const bitmap = await decode(blob);
    if (!bitmap) throw new Error("This browser cannot show this photo's format");
    const canvas = h("canvas", { class: "large-photo", id: "face-photo", role: "img", "aria-label": `The photo of this face of ${face.subject}` });
    drawFaces(canvas, bitmap, face.box ? [{ box: face.box }] : [], () => ({ text: face.subject, colour: MATCH_COLOUR }));
    bitmap.close();
    await showDialog(`A face of ${face.subject}`, canvas);
  }

  subjectField(label, value = "") {
    return { name: "subject", label, value, list: "upload-subjects" };
  }

  async rename(name) {
    const values = await formDialog({
      title: `Rename ${name}`, confirm: "Rename",
      text: "Giving it the name of another person merges the two: every face goes to that person.",
      fields: [{ name: "subject", label: "New name", value: name }],
      submit: ({ subject }) => this.renameTo(name, subject.trim()),
    });
    if (values) await this.afterRename(name, values.subject.trim());
  }

  async merge(name) {
    const values = await formDialog({
      title: `Merge ${name} into…`, confirm: "Merge",
      text: `Every face of ${name} goes to the person you name, and ${name} is deleted.`,
      fields: [this.subjectField("Merge into")],
      submit: async ({ subject }) => {
        const target = subject.trim();
        if (!this.subjects.some((other) => other.toLowerCase() === target.toLowerCase() && other !== name)) {
          throw new Error(`There is nobody called ${target} to merge into (to give ${name} a new name, use Rename)`);
        }
        await this.renameTo(name, target);
      },
    });
    if (values) await this.afterRename(name, values.subject.trim());
  }

  async renameTo(name, target) {
    const answer = await this.api.request("PUT", `/recognition/subjects/${encodeURIComponent(name)}`, { body: { subject: target } });
    if (!answer.updated) throw new Error(`${name} was not renamed (it may have been deleted meanwhile)`);
  }

  async afterRename(name, target) {
    const merged = target.toLowerCase() !== name.toLowerCase() && this.subjects.some((subject) => subject.toLowerCase() === target.toLowerCase());
    toast(merged ? `${name} merged into ${target}` : `${name} renamed to ${target}`);
    this.selected = this.subjects.find((subject) => subject.toLowerCase() === target.toLowerCase()) || target;
    await this.reload();
  }

  async deleteSubject(name) {
    const done = await confirmDialog(`Delete ${name}?`, "The person and all of their faces are deleted. This cannot be undone.", "Delete",
      () => this.api.request("DELETE", `/recognition/subjects/${encodeURIComponent(name)}`));
    if (!done) return;
    toast(`${name} deleted`);
    await this.reload();
  }

  async moveChecked() {
    const ids = [...this.checked];
    const count = `${ids.length} face${ids.length === 1 ? "" : "s"}`;
    const values = await formDialog({
      title: `Move ${count} to…`, confirm: "Move",
      text: "They go to the person you name (a new one when nobody has that name).",
      fields: [this.subjectField("Person")],
      submit: async ({ subject }) => {
        for (const id of ids) await this.api.request("PUT", `/recognition/faces/${encodeURIComponent(id)}`, { body: { subject: subject.trim() } });
      },
    });
    if (!values) return;
    toast(`${count} moved to ${values.subject.trim()}`);
    this.checked.clear();
    await this.reload();
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
