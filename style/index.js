// The style module of the prebuilt JupyterLab extension (package.json `styleModule`).
import './index.css';
