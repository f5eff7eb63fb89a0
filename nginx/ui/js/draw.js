// Drawing an image with its faces on a canvas: boxes, landmarks and a label per face.

export const MATCH_COLOUR = "#1f9d55";
export const OTHER_COLOUR = "#e8590c";
const LANDMARK_COLOUR = "#00b8ff";
const MIN_SIDE = 480; // smaller images are drawn enlarged

/** The image of `file` decoded by the browser (EXIF orientation applied), or null when it cannot. */
export async function decode(file) {
  try {
    return await createImageBitmap(file);
  } catch {
    return null;
  }
}

/**
 * Draw `bitmap` on `canvas` (small images enlarged, so that labels stay readable) and, for each
 * face of `faces` ({box, landmarks?}), its box, its landmarks and `label(face, index)` ({lines, colour}).
 * `canvas.dataset.scale` says how many canvas pixels an image pixel takes.
 */
export function drawFaces(canvas, bitmap, faces, label) {
  const zoom = Math.max(1, Math.ceil(MIN_SIDE / Math.max(bitmap.width, bitmap.height)));
  canvas.width = bitmap.width * zoom;
  canvas.height = bitmap.height * zoom;
  const context = canvas.getContext("2d");
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const size = Math.max(canvas.width, canvas.height) / 640;
  const line = Math.max(2, Math.round(2 * size));
  const fontSize = Math.max(14, Math.round(14 * size));
  context.font = `600 ${fontSize}px system-ui, sans-serif`;
  context.textBaseline = "top";
  faces.forEach((face, index) => {
    const [left, top, right, bottom] = [face.box.x_min, face.box.y_min, face.box.x_max, face.box.y_max].map((value) => value * zoom);
    const { lines, colour } = label(face, index);
    context.lineWidth = line;
    context.strokeStyle = colour;
    context.strokeRect(left, top, right - left, bottom - top);
    context.fillStyle = LANDMARK_COLOUR;
    for (const [x, y] of face.landmarks || []) {
      context.beginPath();
      context.arc(x * zoom, y * zoom, Math.max(2.5, line * 1.2), 0, 2 * Math.PI);
      context.fill();
    }
    const padding = Math.round(fontSize * 0.3);
    const height = lines.length * (fontSize + padding) + padding;
    const width = Math.max(...lines.map((text) => context.measureText(text).width)) + 2 * padding;
    // The label sits under the box, or above it when there is no room below.
    const y = bottom + height <= canvas.height ? bottom : Math.max(0, top - height);
    const x = Math.min(Math.max(0, left - line / 2), Math.max(0, canvas.width - width));
    context.fillStyle = colour;
    context.fillRect(x, y, width, height);
    context.fillStyle = "#fff";
    lines.forEach((text, row) => context.fillText(text, x + padding, y + padding + row * (fontSize + padding)));
  });
  canvas.dataset.faces = String(faces.length);
  canvas.dataset.scale = String(zoom);
}
