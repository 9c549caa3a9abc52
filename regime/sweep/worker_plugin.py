"""A Dask worker plugin for the workers of a ``LocalCluster`` the sweep starts itself.

The workers of a local cluster share the terminal's process group, so Ctrl-C
reaches them too; they ignore it (printing nothing) and the driver, which
gets it as well, cancels the work and shuts the cluster down. Registered by
name, the plugin also runs on workers the nanny restarts.
"""

from __future__ import annotations

import signal

from distributed import WorkerPlugin


class IgnoreInterrupt(WorkerPlugin):
    """Ignore SIGINT in the worker process; stopping it is the driver's job."""

    name = "regime-ignore-interrupt"

    def setup(self, worker) -> None:
        """Runs on the worker's event loop, the process's main thread."""
        signal.signal(signal.SIGINT, signal.SIG_IGN)
