/** The fancyflow icon (a small chain of three steps) for the sidebars. */
import { LabIcon } from '@jupyterlab/ui-components';

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <circle cx="5" cy="5" r="3"/>
    <circle cx="12" cy="12" r="3"/>
    <circle cx="19" cy="19" r="3"/>
    <path d="M6.4 6.4l4.2 4.2-1 1-4.2-4.2zM13.4 13.4l4.2 4.2-1 1-4.2-4.2z"/>
  </g>
</svg>`;

/** The icon of the step palette and the workflow panel. */
export const fancyflowIcon = new LabIcon({ name: 'fancyflow:logo', svgstr: svg });
