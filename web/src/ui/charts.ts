import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  type ChartType,
  DoughnutController,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { onBeforeUnmount, onMounted, type Ref, shallowRef, watch } from "vue";

/** Registers only the chart.js parts the page uses, so the rest is left out of the bundle. */
Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  DoughnutController,
  ArcElement,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  Legend,
);

/** Colours come from the page's CSS variables, so the charts follow the light or dark theme. */
export function cssColour(name: string, fallback: string): string {
  if (typeof document === "undefined") return fallback;
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif";
Chart.defaults.font.size = 15;
// Live data changes every half second: no animation keeps bars readable and the renderer idle.
Chart.defaults.animation = false;

/** The palette, chosen for contrast on both themes and on a washed-out projector. */
export const palette = {
  band: "#e0a21f",
  album: "#2bb39b",
  http: "#5b87f0",
  grpc: "#e0648f",
  other: "#a7b0c4",
} as const;

function applyThemeDefaults(): void {
  Chart.defaults.color = cssColour("--text", "#eef2fb");
  Chart.defaults.borderColor = cssColour("--grid", "rgba(201, 211, 234, 0.12)");
}

/**
 * One chart.js chart on `canvas`, created once and updated in place: `update` mutates the data
 * (labels, dataset values) and redraws without animation; the chart is never rebuilt.
 */
export function useChart<T extends ChartType>(
  canvas: Ref<HTMLCanvasElement | null>,
  config: () => ChartConfiguration<T>,
  update: (chart: Chart<T>) => void,
  source: () => unknown,
) {
  const chart = shallowRef<Chart<T> | null>(null);
  const scheme = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: light)") : null;
  const retheme = () => {
    applyThemeDefaults();
    const current = chart.value;
    if (!current) return;
    current.destroy();
    if (canvas.value) chart.value = new Chart(canvas.value, config()) as Chart<T>;
    if (chart.value) update(chart.value);
  };
  onMounted(() => {
    applyThemeDefaults();
    if (!canvas.value) return;
    chart.value = new Chart(canvas.value, config()) as Chart<T>;
    update(chart.value);
    chart.value.update("none");
    scheme?.addEventListener("change", retheme);
  });
  watch(source, () => {
    if (!chart.value) return;
    update(chart.value);
    chart.value.update("none");
  });
  onBeforeUnmount(() => {
    scheme?.removeEventListener("change", retheme);
    chart.value?.destroy();
  });
  return chart;
}
