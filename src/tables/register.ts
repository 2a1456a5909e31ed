/**
 * Registers the Arrow and arquero table adapters (the package root imports this for its effect).
 * arquero before Arrow does not matter: their `is` checks do not overlap.
 */
import { registerTableAdapter } from '../core/table';
import { arqueroTableAdapter } from './arquero-adapter';
import { arrowTableAdapter } from './arrow-adapter';

registerTableAdapter(arrowTableAdapter);
registerTableAdapter(arqueroTableAdapter);
