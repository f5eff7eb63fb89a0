// Face crops cut in the browser: square thumbnails around a face's box, and a crop of one face of
// a group photo to enrol on its own.

const THUMBNAIL_SIDE = 192;
const THUMBNAIL_MARGIN = 1.5; // the square is this many times the box's longer side
const ENROL_MARGIN = 1.6; // enough of the head around the face for the detector to find it again

/** The square around `box` ({x_min, y_min, x_max, y_max}) scaled by `margin`; the centre square of the image without a box. */
function square(bitmap, box, margin) {
  if (!box) {
    const side = Math.min(bitmap.width, bitmap.height);
    return [(bitmap.width - side) / 2, (bitmap.height - side) / 2, side];
  }
  const side = Math.max(box.x_max - box.x_min, box.y_max - box.y_min) * margin;
  return [(box.x_min + box.x_max - side) / 2, (box.y_min + box.y_max - side) / 2, side];
}

async function cut(bitmap, box, margin, outputSide) {
  const [x, y, side] = square(bitmap, box, margin);
  const target = outputSide || Math.round(side);
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = target;
  const context = canvas.getContext("2d");
  context.fillStyle = "#e9edf3"; // where the square reaches past the photo's edge
  context.fillRect(0, 0, target, target);
  context.drawImage(bitmap, x, y, side, side, 0, 0, target, target);
  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("The crop cannot be made"))),
    "image/jpeg", 0.9));
}

/** A square thumbnail of the face at `box` in the image `blob` (the image's centre without a box), as a blob URL. */
export async function thumbnailUrl(blob, box) {
  const bitmap = await createImageBitmap(blob);
  try {
    return URL.createObjectURL(await cut(bitmap, box, THUMBNAIL_MARGIN, THUMBNAIL_SIDE));
  } finally {
    bitmap.close();
  }
}

/** The face at `box` of the image `file`, with room around it, as a JPEG file to enrol. */
export async function faceFile(file, box, number) {
  const bitmap = await createImageBitmap(file);
  try {
    const blob = await cut(bitmap, box, ENROL_MARGIN, 0);
    return new File([blob], `${file.name.replace(/\.[^.]*$/, "")}-face-${number}.jpg`, { type: "image/jpeg" });
  } finally {
    bitmap.close();
  }
}
