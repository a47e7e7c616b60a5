/** The loss charts' smoothing and scale, kept across reloads (per browser, like a viewer setting). */
const KEY = 'age-studio.chart'

export interface ChartSettings {
  smoothing: number
  logScale: boolean
}

const DEFAULTS: ChartSettings = { smoothing: 0.6, logScale: false }

export function loadChartSettings(): ChartSettings {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<ChartSettings>
    const smoothing = typeof saved.smoothing === 'number' && saved.smoothing >= 0 && saved.smoothing < 1 ? saved.smoothing : DEFAULTS.smoothing
    return { smoothing, logScale: saved.logScale === true }
  } catch {
    return { ...DEFAULTS }
  }
}

export function saveChartSettings(settings: ChartSettings): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(settings))
  } catch {
    // Storage full or disabled: the setting lasts for this page only.
  }
}

/**
 * Log-axis labels at 1, 2 and 5 × 10ⁿ over up to two decades, only at 10ⁿ over more: chart.js
 * labels every minor tick, and they overlap.
 */
export function logTickLabel(value: number, decades: number): string {
  const exponent = Math.floor(Math.log10(value))
  const mantissa = Math.round((value / 10 ** exponent) * 1000) / 1000
  if (!(decades > 2 ? [1] : [1, 2, 5]).includes(mantissa)) return ''
  return value >= 0.01 && value < 10_000 ? String(Number(value.toPrecision(1))) : value.toExponential(0)
}
