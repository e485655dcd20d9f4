/**
 * The few DOM types the browser tests use inside playwright's `page.evaluate` / `$$eval` callbacks (which run in
 * Chromium, not in Node). Declared here rather than with `lib: ["dom"]`: the DOM lib is global to a TypeScript
 * program and would change the types src/ is checked with (chart.js then expects a browser canvas in
 * src/reports/chart-render.ts). A test file declares `declare const document: BrowserDocument;` at its top level: a
 * type-only name that the serialized callback resolves to the browser's `document`.
 */

/** An element as the tests read it. */
export interface BrowserElement {
  textContent: string | null;
  children: Iterable<BrowserElement>;
  querySelectorAll<E = BrowserElement>(selectors: string): BrowserNodeList<E>;
}

/** A static NodeList (iterable, with a length). */
export interface BrowserNodeList<E> extends Iterable<E> {
  readonly length: number;
}

/** An <img>: decode() resolves once the image is decoded; naturalWidth is 0 for a broken image. */
export interface BrowserImage extends BrowserElement {
  alt: string;
  complete: boolean;
  naturalWidth: number;
  naturalHeight: number;
  decode(): Promise<void>;
}

/** A <tr>: its cells with their data-* attributes. */
export interface BrowserTableRow extends BrowserElement {
  cells: ArrayLike<BrowserElement & { dataset: Record<string, string | undefined> }>;
}

/** The page's document. */
export interface BrowserDocument {
  title: string;
  querySelectorAll<E = BrowserElement>(selectors: string): BrowserNodeList<E>;
}
