import { Widget } from '@lumino/widgets';
import { h, replaceChildren } from './dom';

/** What the status bar item shows (computed by status/status-view.ts). */
export interface StatusView {
  readonly visible: boolean;
  readonly text: string;
  readonly title: string;
  readonly tone: 'normal' | 'progress' | 'error';
}

export const HIDDEN_STATUS: StatusView = { visible: false, text: '', title: '', tone: 'normal' };

/** The status bar item: one line of text, its tooltip, and a tone for the colour. */
export class StatusItem extends Widget {
  private view: StatusView = HIDDEN_STATUS;

  constructor() {
    super();
    this.addClass('berth-StatusItem');
    this.render();
  }

  get current(): StatusView {
    return this.view;
  }

  setView(view: StatusView): void {
    this.view = view;
    this.render();
  }

  private render(): void {
    this.node.title = this.view.title;
    this.node.dataset['tone'] = this.view.tone;
    this.node.style.display = this.view.visible ? '' : 'none';
    replaceChildren(this.node, [h('span', { className: 'berth-StatusItem-text', text: this.view.text })]);
  }
}
