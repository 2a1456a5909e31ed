"""Serve the fancyflow JupyterLab host app with Debian's jupyter-server + jupyterlab_server.

Run with /usr/bin/python3 (the Python that has Debian's Jupyter packages):

    /usr/bin/python3 scripts/lab/server.py --app-dir .build/lab --jupyter-dir .build/jupyter \
        --root examples --port 0 [--token TOKEN] [--browser-test]

Binds 127.0.0.1 only. `--port 0` picks a free port. Once the server listens it prints one line
`FANCYFLOW_LAB_URL=<url>` (with `?token=` when a token is set) on stdout, which `npm start` and the
browser tests read. `--jupyter-dir` is a private Jupyter home: kernelspecs and labextensions are
looked up in `<dir>/data` (JUPYTER_PATH / JUPYTER_DATA_DIR), config in `<dir>/config`, settings
and workspaces under `<dir>/lab`; nothing from the user's own Jupyter folders is read.

jupyter-server 1.23 predates the JupyterLab 4.6 front end; the handlers below fill its gaps:
`GET /api/me` (identity), `/api/events` and its websocket (the front end retries those forever),
and jupyterlab_server 2.16 leaking `notFoundUrl` into every later page's config (which shows a
"Path Not Found" dialog on the next page load).
"""

import argparse
import json
import os
import socket
import sys


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--app-dir", required=True, help="output of scripts/lab/build-app.js")
    parser.add_argument("--jupyter-dir", required=True, help="private Jupyter home")
    parser.add_argument("--root", required=True, help="folder the file browser shows")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default="", help="empty: no authentication (loopback only)")
    parser.add_argument(
        "--browser-test", action="store_true", help="load galata's in-page helpers, no XSRF check"
    )
    return parser.parse_args(argv)


ARGS = parse_args(sys.argv[1:])
JUPYTER_DIR = os.path.abspath(ARGS.jupyter_dir)
DATA_DIR = os.path.join(JUPYTER_DIR, "data")
# Must be set before jupyter_core computes any path.
os.environ["JUPYTER_DATA_DIR"] = DATA_DIR
os.environ["JUPYTER_PATH"] = DATA_DIR
os.environ["JUPYTER_CONFIG_DIR"] = os.path.join(JUPYTER_DIR, "config")
os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(JUPYTER_DIR, "runtime")
os.environ["JUPYTER_CONFIG_PATH"] = os.path.join(JUPYTER_DIR, "config")

from jupyter_server.base.handlers import APIHandler, JupyterHandler  # noqa: E402
from jupyter_server.base.zmqhandlers import WebSocketMixin  # noqa: E402
from jupyterlab_server import LabServerApp  # noqa: E402
from jupyterlab_server.handlers import NotFoundHandler  # noqa: E402
from tornado import web  # noqa: E402
from tornado.ioloop import IOLoop  # noqa: E402
from tornado.websocket import WebSocketHandler  # noqa: E402
from traitlets import Unicode  # noqa: E402

JUPYTERLAB_VERSION = "4.6.4"

# Settings that keep modal dialogs and network calls out of the way (tests and first runs).
SETTINGS_OVERRIDES = {
    "@jupyterlab/docmanager-extension:plugin": {"renameUntitledFileOnSave": False},
    "@jupyterlab/apputils-extension:notification": {
        "checkForUpdates": False,
        "fetchNews": "false",
    },
}


class MeHandler(APIHandler):
    """GET /api/me: the identity JupyterLab 4 shows (jupyter-server 1.23 has no identity API)."""

    @web.authenticated
    def get(self):
        user = self.current_user
        name = user if isinstance(user, str) else "fancyflow"
        self.finish(
            json.dumps(
                {
                    "identity": {
                        "username": name,
                        "name": "Fancyflow user",
                        "display_name": "Fancyflow user",
                        "initials": "FF",
                        "avatar_url": None,
                        "color": None,
                    },
                    "permissions": {},
                }
            )
        )


class EventsHandler(APIHandler):
    """POST /api/events: accepted and dropped (no event bus in jupyter-server 1.23)."""

    @web.authenticated
    def post(self):
        self.set_status(204)
        self.finish()


class EventsSocketHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):
    """/api/events/subscribe: an open, silent event stream (the front end reconnects forever)."""

    async def get(self, *args, **kwargs):
        if self.current_user is None:
            raise web.HTTPError(403)
        return await super().get(*args, **kwargs)

    def on_message(self, message):
        pass


def page_config_hook(handler, page_config):
    """Drop the `notFoundUrl` a previous 404 page left in the shared page config."""
    config = dict(page_config)
    if not isinstance(handler, NotFoundHandler):
        config.pop("notFoundUrl", None)
    return config


class FancyflowLabApp(LabServerApp):
    """jupyterlab_server's app, pointed at the fancyflow host build and a private Jupyter home."""

    name = "fancyflow_lab"
    app_name = "JupyterLab"
    app_version = Unicode(JUPYTERLAB_VERSION)
    load_other_extensions = False

    def initialize_settings(self):
        super().initialize_settings()
        page_config = self.settings.setdefault("page_config_data", {})
        page_config["fancyflowBrowserTest"] = "true" if ARGS.browser_test else "false"
        page_config["exposeAppInBrowser"] = True
        page_config["buildAvailable"] = False
        page_config["buildCheck"] = False
        self.settings["page_config_hook"] = page_config_hook

    def initialize_handlers(self):
        super().initialize_handlers()
        self.handlers[:0] = [
            (r"/api/me", MeHandler),
            (r"/api/events", EventsHandler),
            (r"/api/events/subscribe", EventsSocketHandler),
        ]
        IOLoop.current().add_callback(self._announce)

    def _announce(self):
        server = self.serverapp
        url = f"http://127.0.0.1:{server.port}/lab"
        if server.token:
            url += f"?token={server.token}"
        print(f"FANCYFLOW_LAB_URL={url}", flush=True)


def _jupyter_server_extension_points():
    return [{"module": __name__, "app": FancyflowLabApp}]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main():
    app_dir = os.path.abspath(ARGS.app_dir)
    for required in ("static", "templates", "schemas", "themes"):
        if not os.path.isdir(os.path.join(app_dir, required)):
            sys.exit(
                f"fancyflow lab: {app_dir}/{required} is missing; "
                "build the host app first (node scripts/lab/build-app.js)"
            )
    lab_dir = os.path.join(JUPYTER_DIR, "lab")
    app_settings_dir = os.path.join(lab_dir, "app-settings")
    for folder in (DATA_DIR, app_settings_dir, os.environ["JUPYTER_RUNTIME_DIR"]):
        os.makedirs(folder, exist_ok=True)
    with open(os.path.join(app_settings_dir, "overrides.json"), "w", encoding="utf-8") as out:
        json.dump(SETTINGS_OVERRIDES, out, indent=2)

    port = ARGS.port or free_port()
    cls = "FancyflowLabApp"
    argv = [
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.open_browser=False",
        "--ServerApp.allow_root=True",
        f"--ServerApp.root_dir={os.path.abspath(ARGS.root)}",
        f"--ServerApp.token={ARGS.token}",
        "--ServerApp.password=",
        f"--ServerApp.disable_check_xsrf={ARGS.browser_test}",
        f"--{cls}.static_dir={os.path.join(app_dir, 'static')}",
        f"--{cls}.templates_dir={os.path.join(app_dir, 'templates')}",
        f"--{cls}.schemas_dir={os.path.join(app_dir, 'schemas')}",
        f"--{cls}.themes_dir={os.path.join(app_dir, 'themes')}",
        f"--{cls}.app_settings_dir={app_settings_dir}",
        f"--{cls}.user_settings_dir={os.path.join(lab_dir, 'user-settings')}",
        f"--{cls}.workspaces_dir={os.path.join(lab_dir, 'workspaces')}",
        f"--{cls}.labextensions_path={os.path.join(DATA_DIR, 'labextensions')}",
    ]
    FancyflowLabApp.launch_instance(argv=argv)


if __name__ == "__main__":
    main()
