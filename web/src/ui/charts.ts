import { ArcElement, BarController, BarElement, CategoryScale, Chart, DoughnutController, Legend, LinearScale, Tooltip } from "chart.js";

/** Registers only the chart.js parts the page uses, so the rest is left out of the bundle. */
Chart.register(BarController, BarElement, CategoryScale, LinearScale, DoughnutController, ArcElement, Tooltip, Legend);

Chart.defaults.color = "#c9d3ea";
Chart.defaults.borderColor = "rgba(201, 211, 234, 0.12)";
Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif";
Chart.defaults.font.size = 16;
// Live data changes every half second: short animations keep bars readable instead of always moving.
const reducedMotion = typeof matchMedia === "function" && matchMedia("(prefers-reduced-motion: reduce)").matches;
Chart.defaults.animation = reducedMotion ? false : { duration: 250 };

/** The palette, chosen for contrast on the dark background and on a washed-out projector. */
export const palette = {
  band: "#f5b942",
  album: "#3cc9b0",
  http: "#6f9bff",
  grpc: "#f07aa6",
  other: "#a7b0c4",
} as const;
