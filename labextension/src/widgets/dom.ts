/**
 * A small element builder: the widgets draw plain DOM (no React), so they render synchronously
 * and test directly under jsdom.
 */

export type Child = Node | string | null | undefined | false;

export interface ElementProps {
  readonly className?: string;
  readonly title?: string;
  readonly text?: string;
  readonly attrs?: Readonly<Record<string, string | undefined>>;
  readonly on?: { readonly [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  children: readonly Child[] = [],
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.className) element.className = props.className;
  if (props.title) element.title = props.title;
  if (props.text !== undefined) element.textContent = props.text;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value !== undefined) element.setAttribute(name, value);
  }
  for (const [name, listener] of Object.entries(props.on ?? {})) {
    element.addEventListener(name, listener as EventListener);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: HTMLElement, children: readonly Child[]): void {
  parent.textContent = '';
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child);
  }
}

export interface OptionSpec {
  readonly value: string;
  readonly label: string;
  readonly title?: string;
  readonly disabled?: boolean;
}

/** A <select> with the given options and value (an unknown value selects nothing). */
export function selectElement(
  className: string,
  label: string,
  options: readonly OptionSpec[],
  value: string | undefined,
): HTMLSelectElement {
  const select = h('select', { className, attrs: { 'aria-label': label } });
  for (const option of options) {
    const element = h('option', { text: option.label, attrs: { value: option.value } });
    if (option.title) element.title = option.title;
    if (option.disabled) element.disabled = true;
    select.append(element);
  }
  select.value = value ?? '';
  return select;
}
