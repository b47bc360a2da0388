import type { Journal } from '../../journal/types.ts';

/** The part of the journal embedded in the report that the chart reads. */
export type ChartJournal = Pick<Journal, 'timeline' | 'bucketMs' | 'phases' | 'actions' | 'events'>;

export const WIDTH = 1000;
export const LEFT = 56;
export const RIGHT = 16;
export const TOP = 24;
export const PANEL_HEIGHT = 130;
const PANEL_GAP = 26;
export const HEIGHT = TOP + 3 * PANEL_HEIGHT + 2 * PANEL_GAP + 30;

const PANEL_STRIDE = PANEL_HEIGHT + PANEL_GAP;

/** Tops of the rates, p99 and shares panels, in that order. */
export const PANEL_TOPS = [TOP, TOP + PANEL_STRIDE, TOP + 2 * PANEL_STRIDE] as const;
export const PANELS_BOTTOM = PANEL_TOPS[2] + PANEL_HEIGHT;

/** What every drawing function needs: where to draw, the data, and the time axis. */
export interface Chart {
  svg: SVGSVGElement;
  journal: ChartJournal;
  /** First bucket's start and last bucket's end. */
  t0: number;
  t1: number;
  /** Series lines drawn so far. */
  seriesDrawn: number;
}

export function xOf(chart: Chart, t: number): number {
  return LEFT + ((t - chart.t0) / (chart.t1 - chart.t0)) * (WIDTH - LEFT - RIGHT);
}

/** y of `value` in the panel at `top` whose full height stands for `max`. */
export function yOf(top: number, max: number, value: number): number {
  return top + PANEL_HEIGHT - (value / max) * PANEL_HEIGHT;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export type Attributes = Record<string, string | number>;

export function appendSvg(parent: Element, name: string, attributes: Attributes, text?: string): SVGElement {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  parent.appendChild(element);
  return element;
}
