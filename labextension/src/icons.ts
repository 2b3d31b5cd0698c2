import { LabIcon } from '@jupyterlab/ui-components';

/**
 * The runs panel's sidebar icon: a list of three runs, the first one with a "running" dot.
 * `jp-icon3` makes it follow the theme's icon colour.
 */
const RUNS_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <circle cx="5" cy="6" r="2.2"/>
    <rect x="9" y="5" width="12" height="2" rx="1"/>
    <rect x="3" y="11" width="4" height="2" rx="1"/>
    <rect x="9" y="11" width="12" height="2" rx="1"/>
    <rect x="3" y="17" width="4" height="2" rx="1"/>
    <rect x="9" y="17" width="12" height="2" rx="1"/>
  </g>
</svg>`;

export const runsIcon = new LabIcon({ name: 'berth-labextension:runs', svgstr: RUNS_SVG });
