"""`qinglang serve` with QINGLANG_LOCAL_WORKERS=n (and a broker): n `qinglang worker` processes
started beside the service once it answers, with one worker key made for them at start (passed
in QINGLANG_WORKER_KEY, never on the command line) and revoked when the service stops.

On SIGTERM/Ctrl-C the workers are sent SIGTERM first and waited for while the service still
answers (they post their last results and give their rooms back), then the service stops and the
key is revoked. A worker that exits on its own is logged (not restarted)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time

import uvicorn

from monitor.store.api_keys import create_key, revoke_key
from monitor.store.db import open_db

log = logging.getLogger("qinglang.local_workers")
ACTOR = "system"
STOP_WAIT_S = 60.0  # a worker's last flush and give-back; then it is killed


class LocalWorkers:
    """The worker processes of one `qinglang serve` and their key."""

    def __init__(self, db_path: str, broker_url: str, count: int) -> None:
        self.db_path, self.broker_url, self.count = db_path, broker_url, count
        self.processes: list[subprocess.Popen] = []
        self.stopping = threading.Event()
        self.revoked = False
        self.key_id, self._key = create_key(
            open_db(db_path), "worker", None, "serve: local workers", ACTOR
        )

    def start(self, api_url: str) -> None:
        env = {**os.environ, "QINGLANG_WORKER_KEY": self._key}
        command = [sys.executable, "-m", "monitor.cli", "worker",
                   "--broker", self.broker_url, "--api", api_url]  # fmt: skip
        for _ in range(self.count):
            if not self.stopping.is_set():
                self.processes.append(subprocess.Popen(command, env=env))
        log.warning("本机工作进程 / local workers started: pids %s",
                    [p.pid for p in self.processes])  # fmt: skip
        threading.Thread(target=self._watch, name="qinglang-local-workers", daemon=True).start()

    def _watch(self) -> None:
        reported: set[int] = set()
        while not self.stopping.wait(1.0):
            for process in self.processes:
                code = process.poll()
                if code is not None and process.pid not in reported:
                    reported.add(process.pid)
                    log.error("本机工作进程意外退出 / local worker %s exited unexpectedly (code %s)",
                              process.pid, code)  # fmt: skip

    def stop(self) -> None:
        """SIGTERM the workers and wait for them (killed after STOP_WAIT_S)."""
        self.stopping.set()
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_WAIT_S
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("本机工作进程未退出，强制结束 / local worker %s killed", process.pid)
                process.kill()
                process.wait()

    def revoke(self) -> None:
        if not self.revoked:
            self.revoked = True
            revoke_key(open_db(self.db_path), self.key_id, ACTOR)


class _Server(uvicorn.Server):
    """uvicorn's server that stops its local workers before it stops serving."""

    def __init__(self, config: uvicorn.Config, workers: LocalWorkers) -> None:
        super().__init__(config)
        self.workers = workers

    def handle_exit(self, sig, frame) -> None:
        if self.workers.stopping.is_set():  # a second signal: as uvicorn (Ctrl-C twice forces)
            super().handle_exit(sig, frame)
            return
        self.workers.stopping.set()

        def stop_then_exit() -> None:
            self.workers.stop()
            self.workers.revoke()  # now: uvicorn raises the signal again once it has stopped
            super(_Server, self).handle_exit(sig, frame)

        threading.Thread(target=stop_then_exit, name="qinglang-stop-workers").start()


def serve_with_workers(config: uvicorn.Config, host: str, workers: LocalWorkers) -> None:
    """Run the server; start the workers once it answers; stop them, then revoke their key."""
    server = _Server(config, workers)

    def start_when_served() -> None:
        while not server.started:
            if server.should_exit or workers.stopping.wait(0.2):
                return
        port = server.servers[0].sockets[0].getsockname()[1]
        local = "127.0.0.1" if host in ("0.0.0.0", "", "localhost") else host
        workers.start(f"http://{local}:{port}")

    threading.Thread(target=start_when_served, name="qinglang-start-workers", daemon=True).start()
    try:
        server.run()
    finally:
        workers.stop()  # already done after a signal; here for any other end
        workers.revoke()
