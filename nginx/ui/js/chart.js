// A bar chart drawn as SVG (scales with its box, crisp at any size).

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, text = null) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  if (text !== null) element.textContent = text;
  return element;
}

/** A value axis step that gives about four round gridlines up to `max`. */
function niceStep(max) {
  const raw = Math.max(max, 1) / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= raw);
  return Math.max(1, step);
}

/**
 * Bars for `points` ([{label, value}], oldest first); every `labelEvery`-th label is written under
 * its bar; each bar's tooltip says its label and value.
 */
export function barChart(points, { title, unit = "", labelEvery = 5, width = 760, height = 240 } = {}) {
  const margin = { top: 12, right: 12, bottom: 28, left: 44 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const step = niceStep(Math.max(0, ...points.map((point) => point.value)));
  const top = Math.max(step, Math.ceil(Math.max(0, ...points.map((point) => point.value)) / step) * step);
  const y = (value) => margin.top + plotHeight - (value / top) * plotHeight;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": title });
  chart.append(svg("title", {}, title));
  for (let value = 0; value <= top; value += step) {
    chart.append(svg("line", { x1: margin.left, x2: width - margin.right, y1: y(value), y2: y(value), class: "grid" }));
    chart.append(svg("text", { x: margin.left - 6, y: y(value) + 4, class: "axis", "text-anchor": "end" }, value.toLocaleString()));
  }
  const slot = plotWidth / Math.max(points.length, 1);
  points.forEach((point, index) => {
    const x = margin.left + index * slot;
    const bar = svg("rect", { x: x + slot * 0.15, width: slot * 0.7, y: y(point.value), height: Math.max(0, y(0) - y(point.value)),
      class: "bar", "data-label": point.label, "data-value": point.value });
    bar.append(svg("title", {}, `${point.label}: ${point.value.toLocaleString()}${unit}`));
    chart.append(bar);
    if (index % labelEvery === 0 || index === points.length - 1) {
      chart.append(svg("text", { x: x + slot / 2, y: height - 8, class: "axis", "text-anchor": "middle" }, point.label));
    }
  });
  return chart;
}
