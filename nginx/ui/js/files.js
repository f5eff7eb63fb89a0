// Picking image files: drop zones (files and whole folders), subject names from paths, a work pool.

import { toast } from "./dom.js";

/** Image files of a drop, folders walked; each as {file, folder} (folder: its parent folder's name or ""). */
export async function droppedFiles(dataTransfer) {
  const entries = [...dataTransfer.items]
    .map((item) => (item.kind === "file" && item.webkitGetAsEntry ? item.webkitGetAsEntry() : null))
    .filter(Boolean);
  if (!entries.length) return [...dataTransfer.files].map((file) => ({ file, folder: "" }));
  const found = [];
  await Promise.all(entries.map((entry) => walk(entry, "", found)));
  return found;
}

async function walk(entry, folder, found) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    found.push({ file, folder });
    return;
  }
  const reader = entry.createReader();
  // readEntries answers in batches until it answers an empty one.
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    await Promise.all(batch.map((child) => walk(child, entry.name, found)));
  }
}

/** Whether a file looks like an image the API reads (by type, or by name when the type is unknown). */
export function isImage(file) {
  return file.type ? file.type.startsWith("image/") : /\.(jpe?g|png|webp|bmp|gif|tiff?|ico)$/i.test(file.name);
}

/** The subject a file names: its folder, else its name without extension and a trailing number
 * ("Ada_Lovelace_0003.jpg" and "Ada Lovelace (2).png" name "Ada_Lovelace" and "Ada Lovelace"). */
export function subjectFromPath(file, folder) {
  if (folder) return folder;
  return file.name.replace(/\.[^.]*$/, "").replace(/[\s_-]*(\(\d+\)|\d+)$/, "").trim();
}

/** Run `worker(item, index)` over `items`, at most `limit` at a time. */
export async function pool(items, limit, worker) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      await worker(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * Make `zone` accept dropped files and open `input` (a file input) when clicked or activated by
 * keyboard. `onFiles([{file, folder}])` gets the image files of either; other files are reported in a toast.
 */
export function dropZone(zone, input, onFiles) {
  const take = (picked) => {
    const images = picked.filter(({ file }) => isImage(file));
    const others = picked.length - images.length;
    if (others) toast(images.length ? `${others} file${others === 1 ? " is" : "s are"} not an image and left out` : "These files are not images", "error");
    if (images.length) onFiles(images);
  };
  zone.tabIndex = 0;
  zone.setAttribute("role", "button");
  zone.addEventListener("click", () => input.click());
  zone.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      input.click();
    }
  });
  input.addEventListener("change", () => {
    take([...input.files].map((file) => ({ file, folder: "" })));
    input.value = "";
  });
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  }
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", async (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    try {
      take(await droppedFiles(event.dataTransfer));
    } catch (error) {
      toast(`The dropped files cannot be read: ${error.message}`, "error");
    }
  });
}
