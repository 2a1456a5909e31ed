/**
 * The sidebar icons: one for the step palette (blocks to add), one for the workflow panel (steps
 * in a chain). Same 24-unit grid and fill; the `jp-icon3` class lets themes recolour them.
 */
import { LabIcon } from '@jupyterlab/ui-components';

const paletteSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <rect x="3" y="3" width="8" height="8" rx="1.5"/>
    <rect x="13" y="3" width="8" height="8" rx="1.5"/>
    <rect x="3" y="13" width="8" height="8" rx="1.5"/>
    <path d="M16 13h2v3h3v2h-3v3h-2v-3h-3v-2h3z"/>
  </g>
</svg>`;

const workflowSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <circle cx="5" cy="5" r="3"/>
    <circle cx="12" cy="12" r="3"/>
    <circle cx="19" cy="19" r="3"/>
    <path d="M6.4 6.4l4.2 4.2-1 1-4.2-4.2zM13.4 13.4l4.2 4.2-1 1-4.2-4.2z"/>
  </g>
</svg>`;

/** The icon of the step palette (left sidebar): blocks, one of them to add. */
export const paletteIcon = new LabIcon({ name: 'fancyflow:palette', svgstr: paletteSvg });

/** The icon of the workflow panel (right sidebar): three steps in a chain. */
export const workflowIcon = new LabIcon({ name: 'fancyflow:workflow', svgstr: workflowSvg });
