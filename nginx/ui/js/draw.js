// Drawing an image with its faces on a canvas: a box and a numbered marker per face (details live
// in the table beside it), one face highlighted, or a message across the photo.

export const MATCH_COLOUR = "#1f9d55";
export const OTHER_COLOUR = "#e8590c";
const HIGHLIGHT_COLOUR = "#ffd43b";
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

/** Size `canvas` for `bitmap` (small images enlarged) and draw it; the zoom and a text size that suits it. */
function drawPhoto(canvas, bitmap) {
  const zoom = Math.max(1, Math.ceil(MIN_SIDE / Math.max(bitmap.width, bitmap.height)));
  canvas.width = bitmap.width * zoom;
  canvas.height = bitmap.height * zoom;
  const context = canvas.getContext("2d");
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  canvas.dataset.scale = String(zoom);
  const size = Math.max(canvas.width, canvas.height) / 640;
  return { context, zoom, line: Math.max(2, Math.round(2 * size)), fontSize: Math.max(13, Math.round(13 * size)) };
}

/** The photo alone, dimmed, with `message` across it ("Finding faces…", "No face found"). */
export function drawMessage(canvas, bitmap, message) {
  const { context, fontSize } = drawPhoto(canvas, bitmap);
  context.fillStyle = "rgba(15, 25, 45, 0.55)";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.font = `700 ${Math.round(fontSize * 1.6)}px system-ui, sans-serif`;
  context.textAlign = "center";
  context.textBaseline = "middle";
  context.fillStyle = "#fff";
  context.fillText(message, canvas.width / 2, canvas.height / 2, canvas.width * 0.9);
  canvas.dataset.faces = "0";
  canvas.dataset.message = message;
}

/**
 * Draw `bitmap` on `canvas` and, for each face of `faces` ({box, landmarks?}), its box, its
 * landmarks and a marker `label(face, index)` ({text, colour}) set outside the box, above it
 * where there is room, so that it covers no face. The face at `highlighted` stands out.
 * `canvas.dataset.scale` says how many canvas pixels an image pixel takes.
 */
export function drawFaces(canvas, bitmap, faces, label, highlighted = -1) {
  const { context, zoom, line, fontSize } = drawPhoto(canvas, bitmap);
  context.font = `700 ${fontSize}px system-ui, sans-serif`;
  context.textBaseline = "top";
  context.textAlign = "left";
  const order = faces.map((face, index) => index).sort((a, b) => (a === highlighted) - (b === highlighted)); // highlighted last, on top
  for (const index of order) {
    const face = faces[index];
    const [left, top, right, bottom] = [face.box.x_min, face.box.y_min, face.box.x_max, face.box.y_max].map((value) => value * zoom);
    const { text, colour } = label(face, index);
    const bright = index === highlighted;
    context.lineWidth = bright ? line * 2.5 : line;
    context.strokeStyle = bright ? HIGHLIGHT_COLOUR : colour;
    context.strokeRect(left, top, right - left, bottom - top);
    context.fillStyle = LANDMARK_COLOUR;
    for (const [x, y] of face.landmarks || []) {
      context.beginPath();
      context.arc(x * zoom, y * zoom, Math.max(2, line), 0, 2 * Math.PI);
      context.fill();
    }
    const padding = Math.round(fontSize * 0.25);
    const height = fontSize + 2 * padding;
    const width = context.measureText(text).width + 2 * padding;
    const y = top - height >= 0 ? top - height : Math.min(bottom, canvas.height - height);
    const x = Math.min(Math.max(0, left - line / 2), Math.max(0, canvas.width - width));
    context.fillStyle = bright ? HIGHLIGHT_COLOUR : colour;
    context.fillRect(x, y, width, height);
    context.fillStyle = bright ? "#1c2430" : "#fff";
    context.fillText(text, x + padding, y + padding);
  }
  canvas.dataset.faces = String(faces.length);
  canvas.dataset.highlighted = String(highlighted);
  delete canvas.dataset.message;
}
