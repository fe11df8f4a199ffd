# JupyterHub on one machine for a class: every student logs in with their own Unix account and
# gets their own Jupyter server, home folder and Design Ledger (~/.mlsys/constraintlab.sqlite3).
# The lab opens at /user/<name>/constraintlab/ (the launcher also shows "The Constraints Never
# Lie"); see README.md beside this file.
#
# Install, as root, into one environment that every student can run:
#   python3 -m venv /opt/constraintlab
#   /opt/constraintlab/bin/pip install 'jupyterhub>=5,<7' 'constraintlab[hub]'  # or the wheel
#   apt-get install -y nodejs npm && npm install -g configurable-http-proxy
#   CONSTRAINTLAB_CACHE=/opt/constraintlab/plans /opt/constraintlab/bin/constraintlab explore census
#       (builds the model's serving plans once, read-only for the class: see "Plan cache")
#   useradd -m alice   # one account per student (or an authenticator of your choice below)
# Start:
#   /opt/constraintlab/bin/jupyterhub -f deploy/jupyterhub/jupyterhub_config.py
#
# Sizing (measured, see README.md): one student's lab holds about 0.1 GiB when it starts,
# 0.22 GiB with the page open and 0.36 GiB after a full play-through, plus about 0.085 GiB
# for the student's Jupyter server. Budget 0.5 GiB a student who is working; 200 students
# at once need about 100 GiB, which is why a large class belongs on Kubernetes (config.yaml).

c = get_config()  # type: ignore[name-defined]  # noqa: F821  (JupyterHub provides it)

VENV = "/opt/constraintlab"

# Where the hub listens. Put TLS in front of it (or set ssl_cert/ssl_key) before real use:
# students' logins travel over this connection.
c.JupyterHub.bind_url = "http://0.0.0.0:8000"

# Who may log in: local Unix accounts (PAM, JupyterHub's default). Allow the class by group
# (`groupadd class && usermod -aG class alice`) and name the instructors as admins.
c.PAMAuthenticator.allowed_groups = {"class"}
c.Authenticator.admin_users = {"instructor"}

# Each student's server runs as that student, in their home folder, from the shared venv.
c.Spawner.cmd = [f"{VENV}/bin/jupyterhub-singleuser"]
c.Spawner.notebook_dir = "~"
# Open the lab straight after login (the Jupyter server itself stays at /user/<name>/).
c.Spawner.default_url = "/constraintlab/"
# The lab always uses the student's own home for the ledger (~/.mlsys/), even if
# CONSTRAINTLAB_LEDGER were set: two students can never share one ledger file.
# Every lab reads the serving plans built at install time instead of building its own.
c.Spawner.environment = {"CONSTRAINTLAB_CACHE": f"{VENV}/plans"}
# The lab and marimo take a while to start on a busy machine; the hub should wait for them.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

# Stop servers nobody has used for an hour, so an idle class does not hold its memory.
# (pip install jupyterhub-idle-culler into the same venv)
c.JupyterHub.load_roles = [
    {
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }
]
c.JupyterHub.services = [
    {
        "name": "idle-culler",
        "command": [f"{VENV}/bin/python", "-m", "jupyterhub_idle_culler", "--timeout=3600"],
    }
]
