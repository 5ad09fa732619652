"""A real one-node Slurm cluster on localhost, for tests of the Slurm profile.

Debian 12's Slurm 22.05 (``slurmctld``, ``slurmd``, ``slurm-client``) and ``munge``:
installed with apt-get when missing and we are root, configured in a temporary folder,
daemons run in the foreground as our own subprocesses and stopped at the end::

    with SlurmCluster() as cluster:        # raises SlurmUnavailable with the reason
        subprocess.run(["sbatch", ...], env={**os.environ, **cluster.env})

Nothing outside the temporary folder is configured, with two exceptions that a real
compute node has too: the munge daemon (started only when none answers, with a key in
/etc/munge created only when absent) and the ``/run/slurm/conf`` link that a configless
slurmd makes to its cached configuration (removed again at the end). The compute daemon is
configless because the executor plugin's job step (``srun`` inside each job) runs with every
``SLURM_*`` variable removed, ``SLURM_CONF`` included: on a cluster ``srun`` finds the
configuration in /etc/slurm, here it finds it where slurmd cached it.

There is no accounting database: ``sacct`` does not work, so callers must ask the executor
plugin for ``--slurm-status-command squeue``; MinJobAge is one hour so that ``squeue`` keeps
reporting finished jobs.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PACKAGES = ("slurmctld", "slurmd", "slurm-client", "munge")
SBIN_PATH = os.pathsep.join(["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin"])
MUNGE_KEY = Path("/etc/munge/munge.key")
MUNGE_SOCKET_DIR = Path("/run/munge")
CONFIGLESS_LINK = Path("/run/slurm/conf")
PARTITION = "debug"
NODE = "localhost"


class SlurmUnavailable(RuntimeError):
    """Slurm could not be installed or started here; the message says why."""


def _which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path=SBIN_PATH)


def _tail(path: Path, n: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def _apt_env() -> dict:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    env["PATH"] = env.get("PATH", "") + os.pathsep + SBIN_PATH
    return env


def _missing_tools() -> list[str]:
    tools = ("slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol", "munged", "munge")
    return [t for t in tools if _which(t) is None]


def ensure_installed() -> None:
    """apt-get install Slurm and munge if any of their programs is missing."""
    missing = _missing_tools()
    if not missing:
        return
    if os.geteuid() != 0:
        raise SlurmUnavailable(
            f"Slurm is not installed ({', '.join(missing)} missing) and installing it needs root"
        )
    if _which("apt-get") is None:
        raise SlurmUnavailable(
            f"Slurm is not installed ({', '.join(missing)} missing) and there is no apt-get"
        )
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *PACKAGES]
    # No service may start during the install: a policy-rc.d that says so, if none exists.
    policy = Path("/usr/sbin/policy-rc.d")
    made_policy = False
    if not policy.exists():
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
        made_policy = True
    try:
        env = _apt_env()
        proc = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:  # often stale or absent package lists: update once, retry
            subprocess.run(
                ["apt-get", "update", "-q"], env=env, capture_output=True, text=True, timeout=600
            )
            proc = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise SlurmUnavailable(f"apt-get install {' '.join(PACKAGES)} failed: {err}") from err
    finally:
        if made_policy:
            policy.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise SlurmUnavailable(
            f"apt-get install {' '.join(PACKAGES)} failed "
            f"({proc.returncode}):\n{(proc.stdout + proc.stderr)[-3000:]}"
        )
    missing = _missing_tools()
    if missing:
        raise SlurmUnavailable(f"after apt-get install, still missing: {', '.join(missing)}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _meminfo_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise SlurmUnavailable("no MemTotal in /proc/meminfo")


def node_hardware() -> dict:
    """The node line's hardware fields, as slurmd detects them (so the node is not drained
    for a mismatch), with RealMemory 80 % of MemTotal (a margin for the OS and daemons)."""
    fields = {"CPUs": str(os.cpu_count() or 1)}
    slurmd = _which("slurmd")
    try:
        out = subprocess.run([slurmd, "-C"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired, TypeError):
        out = ""
    for key in ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore"):
        m = re.search(rf"\b{key}=(\d+)", out)
        if m:
            fields[key] = m.group(1)
    fields["RealMemory"] = str(max(256, int(_meminfo_mb() * 0.8)))
    return fields


class SlurmCluster:
    """slurmctld + slurmd (+ munged if none runs) on localhost, configured in ``workdir``."""

    def __init__(self, workdir: Path | None = None, start_timeout: float = 60.0, gpus: int = 0):
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="slurm-cluster-"))
        self.gpus = gpus  # a count-only GPU GRES on the node: requests are checked, no device
        self.start_timeout = start_timeout
        self.conf = self.workdir / "slurm.conf"
        self.procs: dict[str, subprocess.Popen] = {}
        self._logs: list = []
        self._made_link = False

    # -- public -------------------------------------------------------------------------
    @property
    def env(self) -> dict:
        """Variables a client (sbatch, squeue, snakemake) needs to talk to this cluster."""
        return {"SLURM_CONF": str(self.conf)}

    def run(self, *args: str, check: bool = True, timeout: float = 30) -> str:
        """Run a Slurm client command against this cluster; its stdout."""
        proc = subprocess.run(
            list(args),
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
        return proc.stdout

    def start(self) -> dict:
        """Start everything; the client env. Raises SlurmUnavailable with the reason."""
        try:
            if os.geteuid() != 0:
                raise SlurmUnavailable("a local Slurm cluster needs root (SlurmUser=root)")
            ensure_installed()
            self._start_munge()
            self._write_conf()
            self._start_daemons()
            self._wait_idle()
        except SlurmUnavailable:
            self.stop()
            raise
        except Exception as err:  # anything unexpected: same contract, with the reason
            self.stop()
            raise SlurmUnavailable(f"starting Slurm failed: {err!r}") from err
        return self.env

    def stop(self) -> None:
        """Cancel our jobs, stop the daemons we started (munged only if we started it)."""
        if "slurmctld" in self.procs and self.procs["slurmctld"].poll() is None:
            try:
                self.run("scancel", "--partition", PARTITION, "--user", "root", check=False)
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    out = self.run(
                        "squeue", "-h", "-t", "PENDING,RUNNING,COMPLETING", "-o", "%i", check=False
                    )
                    if not out.strip():
                        break
                    time.sleep(0.5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self.procs.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for fh in self._logs:
            fh.close()
        self._logs.clear()
        if self._made_link or self._link_is_ours():
            try:
                CONFIGLESS_LINK.unlink()
            except OSError:
                pass
            self._made_link = False

    def __enter__(self) -> SlurmCluster:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- munge --------------------------------------------------------------------------
    @staticmethod
    def _munge_works() -> bool:
        munge, unmunge = _which("munge"), _which("unmunge")
        if not munge or not unmunge:
            return False
        try:
            cred = subprocess.run([munge, "-n"], capture_output=True, timeout=10)
            if cred.returncode != 0:
                return False
            back = subprocess.run([unmunge], input=cred.stdout, capture_output=True, timeout=10)
            return back.returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False

    def _start_munge(self) -> None:
        if self._munge_works():
            return  # a munged already answers (a system service, or a previous run's)
        try:
            user = pwd.getpwnam("munge")
        except KeyError:
            user = None
        uid, gid = (user.pw_uid, user.pw_gid) if user else (0, 0)
        if not MUNGE_KEY.exists():
            MUNGE_KEY.parent.mkdir(parents=True, exist_ok=True)
            MUNGE_KEY.write_bytes(os.urandom(1024))
            os.chown(MUNGE_KEY.parent, uid, gid)
            MUNGE_KEY.parent.chmod(0o700)
            os.chown(MUNGE_KEY, uid, gid)
            MUNGE_KEY.chmod(0o400)
        for d in (MUNGE_SOCKET_DIR, Path("/var/lib/munge"), Path("/var/log/munge")):
            d.mkdir(parents=True, exist_ok=True)
            os.chown(d, uid, gid)
        MUNGE_SOCKET_DIR.chmod(0o755)
        cmd = [_which("munged"), "--foreground", "--force"]
        kwargs = {"user": uid, "group": gid, "extra_groups": []} if user else {}
        self._spawn("munged", cmd, os.environ.copy(), **kwargs)
        self._wait(lambda: self._munge_works(), "munged", 20)

    # -- slurm --------------------------------------------------------------------------
    def _write_conf(self) -> None:
        for sub in ("state", "spool"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        self.ctld_port, self.slurmd_port = _free_port(), _free_port()
        while self.slurmd_port == self.ctld_port:
            self.slurmd_port = _free_port()
        hw = " ".join(f"{k}={v}" for k, v in node_hardware().items())
        w = self.workdir
        gres_types = ""
        if self.gpus:
            # A GPU GRES for scheduling only: Slurm 22.05's gpu plugin counts the devices
            # of File= (none given: 0, and the node is drained), so /dev/null stands in.
            # --gpus requests are scheduled against it; the jobs find no CUDA device and
            # train on the CPU (device: auto).
            hw += f" Gres=gpu:{self.gpus}"
            gres_types = "GresTypes=gpu\n"
            (w / "gres.conf").write_text(
                f"NodeName={NODE} Name=gpu File=/dev/null Count={self.gpus}\n"
            )
        self.conf.write_text(f"""\
# One-node test cluster written by tests/slurm_cluster.py
ClusterName=emgrepro
SlurmctldHost={NODE}
SlurmctldPort={self.ctld_port}
SlurmdPort={self.slurmd_port}
SlurmctldParameters=enable_configless
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation={w}/state
SlurmdSpoolDir={w}/spool
SlurmctldPidFile={w}/slurmctld.pid
SlurmdPidFile={w}/slurmd.pid
SlurmctldLogFile={w}/slurmctld.log
SlurmdLogFile={w}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
MinJobAge=3600
KillWait=5
InactiveLimit=0
{gres_types}NodeName={NODE} NodeAddr=127.0.0.1 {hw} State=UNKNOWN
PartitionName={PARTITION} Nodes={NODE} Default=YES MaxTime=INFINITE State=UP
""")

    def _link_is_ours(self) -> bool:
        try:
            return CONFIGLESS_LINK.is_symlink() and Path(
                os.readlink(CONFIGLESS_LINK)
            ).is_relative_to(self.workdir)
        except OSError:
            return False

    def _start_daemons(self) -> None:
        env = {**os.environ, "SLURM_CONF": str(self.conf)}
        self._spawn("slurmctld", [_which("slurmctld"), "-D", "-f", str(self.conf)], env)
        self._wait(
            lambda: self.run("scontrol", "ping", check=False).find("UP") >= 0,
            "slurmctld",
            self.start_timeout,
            log=self.workdir / "slurmctld.log",
        )
        # Configless compute daemon: it fetches slurm.conf from slurmctld and links
        # /run/slurm/conf to its cache, where srun inside a job finds it.
        if CONFIGLESS_LINK.is_symlink() and not Path(os.readlink(CONFIGLESS_LINK)).exists():
            CONFIGLESS_LINK.unlink()  # a dead link left by an earlier, killed run
        had_link = CONFIGLESS_LINK.exists()
        slurmd_env = {k: v for k, v in os.environ.items() if k != "SLURM_CONF"}
        self._spawn(
            "slurmd",
            [_which("slurmd"), "-D", "-N", NODE, "--conf-server", f"127.0.0.1:{self.ctld_port}"],
            slurmd_env,
        )
        self._made_link = not had_link

    def _wait_idle(self) -> None:
        def idle() -> bool:
            out = self.run("sinfo", "-h", "-n", NODE, "-o", "%t", check=False)
            return out.strip().rstrip("*") == "idle"

        self._wait(idle, "slurmd", self.start_timeout, log=self.workdir / "slurmd.log")

    # -- helpers ------------------------------------------------------------------------
    def _spawn(self, name: str, cmd: list, env: dict, **kwargs) -> None:
        if not cmd[0]:
            raise SlurmUnavailable(f"{name} is not installed")
        log = open(self.workdir / f"{name}.out", "w")  # noqa: SIM115 (closed in stop)
        self._logs.append(log)
        self.procs[name] = subprocess.Popen(
            cmd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            **kwargs,
        )

    def _wait(self, ready, name: str, timeout: float, log: Path | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is not None:
                raise SlurmUnavailable(
                    f"{name} exited with {proc.returncode}:\n"
                    f"{_tail(self.workdir / f'{name}.out')}\n{_tail(log) if log else ''}"
                )
            try:
                if ready():
                    return
            except (OSError, subprocess.TimeoutExpired, RuntimeError):
                pass
            time.sleep(0.5)
        raise SlurmUnavailable(
            f"{name} not ready after {timeout:.0f} s:\n"
            f"{_tail(self.workdir / f'{name}.out')}\n"
            f"{_tail(log) if log else ''}"
        )
