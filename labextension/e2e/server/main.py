"""The test front ends' server: Debian's jupyterlab_server LabServerApp on jupyter_server 1.23.

    E2E_FRONT_END=/path/to/app/build E2E_STATE_DIR=/tmp/x [E2E_LABEXTENSIONS_PATH=dir1:dir2] \
      /usr/bin/python3 main.py --ServerApp.port=... --gateway-url=...

Serves the webpack build named by E2E_FRONT_END (bundle, schemas, themes) under /lab, with the
settings, workspaces, themes, translations and listings APIs JupyterLab's front end calls. User
settings and workspaces live in E2E_STATE_DIR (one per test run, so nothing carries over).
Prebuilt extensions are found only in E2E_LABEXTENSIONS_PATH (never in the system's
labextensions folders).
"""
import os
import sys

from jupyterlab_server import LabServerApp

HERE = os.path.dirname(os.path.abspath(__file__))


def _required_dir(name):
    value = os.environ.get(name, "")
    if not value or not os.path.isdir(value):
        sys.exit(f"main.py: {name} must name an existing directory (got {value!r})")
    return value


FRONT_END = _required_dir("E2E_FRONT_END")
STATE = _required_dir("E2E_STATE_DIR")
LABEXTENSIONS = [path for path in os.environ.get("E2E_LABEXTENSIONS_PATH", "").split(os.pathsep) if path]


def _jupyter_server_extension_points():
    # jupyter_server loads this module as the extension that the app below is.
    return [{"module": __name__, "app": BerthE2EApp}]


class BerthE2EApp(LabServerApp):
    name = __name__
    load_other_extensions = False
    extension_url = "/lab"
    default_url = "/lab"
    app_name = "Berth E2E JupyterLab"
    app_version = "4.5.10"
    app_settings_dir = os.path.join(HERE, "app_settings")
    templates_dir = os.path.join(HERE, "templates")
    static_dir = FRONT_END
    schemas_dir = os.path.join(FRONT_END, "schemas")
    themes_dir = os.path.join(FRONT_END, "themes")
    user_settings_dir = os.path.join(STATE, "user_settings")
    workspaces_dir = os.path.join(STATE, "workspaces")
    extra_labextensions_path = LABEXTENSIONS
    labextensions_path = []


if __name__ == "__main__":
    BerthE2EApp.launch_instance()
