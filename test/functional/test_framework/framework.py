"""``BitcoinTestFramework``-style base class for our functional scenarios (our own code, after Bitcoin Core's).

Owns: per-scenario temp directories, starting the backend node and our server in front of it, narration via
``self.log``, the outcome (exit 0 passed, 1 failed, 77 skipped: Bitcoin Core's codes) and, on failure, the tails
of every process's output. A scenario subclasses it, sets attributes in ``set_test_params`` and checks in
``run_test``; ``main()`` runs it. Never imports ``bitcoin_rpc_mp``.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

from test_framework.authproxy import AuthServiceProxy
from test_framework.node import BackendNode, ManagedProcess, RpcServer
from test_framework.util import (
    TEST_EXIT_FAILED,
    TEST_EXIT_PASSED,
    TEST_EXIT_SKIPPED,
    SkipTest,
)


class BitcoinTestFramework:
    """Subclass, override ``set_test_params`` and ``run_test``, then ``Scenario().main()``.

    Attributes a scenario may set in ``set_test_params``:
      ``num_blocks``      blocks the backend has (stand-in ``--blocks``; a real node mines them through its own
                          port before our server starts)
      ``node_args``       extra backend arguments (stand-in options such as ``--delay-ms``)
      ``server_args``     extra server options; ``server_userpass`` adds ``-rpcuser/-rpcpassword`` (None: none)
      ``setup_server``    False: ``run_test`` starts the server itself
    """

    def __init__(self) -> None:
        self.num_blocks = 10
        self.node_args: list[str] = []
        self.server_args: list[str] = []
        self.server_userpass: tuple[str, str] | None = ("u", "p")
        self.setup_server = True
        self.variant: str | None = os.environ.get("RPCMP_STANDIN_VARIANT") or None
        self.log = logging.getLogger("TestFramework")
        self.tmpdir = Path()
        self.options = argparse.Namespace()
        self.node: BackendNode
        self.server: RpcServer
        self.extra_servers: list[RpcServer] = []
        self.set_test_params()

    # -- to override ---------------------------------------------------------------------------------------
    def set_test_params(self) -> None:
        raise NotImplementedError

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        """Scenario-specific command-line options."""

    def skip_test_if_missing_module(self) -> None:
        """Raise ``SkipTest(reason)`` when something the scenario needs is absent."""

    def run_test(self) -> None:
        raise NotImplementedError

    # -- helpers -------------------------------------------------------------------------------------------
    @property
    def rpc(self) -> AuthServiceProxy:
        """A fresh proxy to the server with the framework's credentials."""
        return self.server.proxy()

    def start_node(self, extra_args: list[str] | None = None) -> None:
        self.node.start(extra_args)

    def start_server(self, extra_args: list[str] | None = None, **kwargs: object) -> None:
        args = self.server_args if extra_args is None else extra_args
        kwargs.setdefault("userpass", self.server_userpass)
        self.server.start(args, **kwargs)  # type: ignore[arg-type]

    def restart_server(self, extra_args: list[str] | None = None, **kwargs: object) -> None:
        self.server.stop()
        self.start_server(extra_args, **kwargs)

    def new_server(self, name: str) -> RpcServer:
        """An extra server instance (own datadir and port) in front of the same node."""
        workdir = self.tmpdir / name
        workdir.mkdir(parents=True, exist_ok=True)
        server = RpcServer(workdir, self.log, socket_path=self.node.socket_path, name=name)
        self.extra_servers.append(server)
        return server

    def setup_network(self) -> None:
        self.node = BackendNode(self.tmpdir, self.log, blocks=self.num_blocks, variant=self.variant,
                                extra_args=self.node_args)
        self.server = RpcServer(self.tmpdir, self.log, socket_path=self.node.socket_path)
        self.log.debug("starting %s", "the stand-in node" if self.node.is_standin else self.node.binary)
        self.node.start()
        if not self.setup_server:
            return
        self.start_server()

    # -- running -------------------------------------------------------------------------------------------
    def parse_args(self) -> None:
        parser = argparse.ArgumentParser(description=(sys.modules[type(self).__module__].__doc__ or "").strip(),
                                         formatter_class=argparse.RawDescriptionHelpFormatter)
        parser.add_argument("--nocleanup", action="store_true", help="keep the temp directory")
        parser.add_argument("--tmpdir", help="root for the temp directory (default: the system temp dir)")
        parser.add_argument("--loglevel", "-l", default="INFO", help="DEBUG, INFO, ...")
        self.add_options(parser)
        self.options = parser.parse_args()

    def _setup_logging(self) -> None:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d %(name)s (%(levelname)s): %(message)s",
                                               datefmt="%Y-%m-%dT%H:%M:%S"))
        root = logging.getLogger()
        root.handlers[:] = [handler]
        root.setLevel(self.options.loglevel.upper())

    def _processes(self) -> list[ManagedProcess]:
        procs: list[ManagedProcess] = []
        if hasattr(self, "server"):
            procs.append(self.server)
        procs += self.extra_servers
        if hasattr(self, "node"):
            procs.append(self.node)
        return procs

    def _dump_logs(self) -> None:
        for proc in self._processes():
            code = proc.returncode()
            if code is not None:
                # A process that died on a signal leaves no Python traceback of its own: name the signal.
                how = f"exited with code {code}"
                if code < 0:
                    try:
                        how = f"killed by {signal.Signals(-code).name}"
                    except ValueError:
                        how = f"killed by signal {-code}"
                print(f"----- {proc.name}: not running ({how}) -----", file=sys.stdout)
            print(proc.tails(), file=sys.stdout)

    def _stop_all(self) -> list[str]:
        """SIGTERM every running process (10 s grace); returns descriptions of those that did not exit 0."""
        unclean = []
        for proc in self._processes():
            if not proc.running:
                continue
            try:
                started = time.monotonic()
                code = proc.stop(timeout=10)
                if code != 0:
                    unclean.append(f"{proc.name} exit status {code} after {time.monotonic() - started:.1f} s")
            except Exception as exc:  # keep tearing down the rest
                unclean.append(f"{proc.name}: {exc!r}")
        return unclean

    def main(self) -> None:
        self.parse_args()
        self._setup_logging()
        name = Path(sys.argv[0]).stem
        self.tmpdir = Path(tempfile.mkdtemp(prefix=f"rpcmp_{name}_", dir=self.options.tmpdir))
        self.log.info("Initializing test directory %s", self.tmpdir)
        started = time.monotonic()
        status = TEST_EXIT_FAILED
        try:
            self.skip_test_if_missing_module()
            self.setup_network()
            self.run_test()
            status = TEST_EXIT_PASSED
        except SkipTest as exc:
            self.log.warning("Test Skipped: %s", exc)
            status = TEST_EXIT_SKIPPED
        except (AssertionError, Exception):
            self.log.error("Test failed:\n%s", traceback.format_exc())
            self.log.error("Process output tails follow (temp dir %s)", self.tmpdir)
            self._dump_logs()
        except KeyboardInterrupt:
            self.log.warning("Exiting after keyboard interrupt")
        finally:
            unclean = self._stop_all()
        if unclean and status == TEST_EXIT_PASSED:
            # As in Bitcoin Core's framework, a process that does not stop cleanly fails the scenario.
            self.log.error("Processes did not stop cleanly on SIGTERM: %s", "; ".join(unclean))
            self._dump_logs()
            status = TEST_EXIT_FAILED
        elapsed = time.monotonic() - started
        if status == TEST_EXIT_PASSED:
            self.log.info("Tests successful (%.1f s)", elapsed)
        elif status == TEST_EXIT_FAILED:
            self.log.error("Test failed (%.1f s). Temp dir kept: %s", elapsed, self.tmpdir)
        if status != TEST_EXIT_FAILED and not self.options.nocleanup:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        logging.shutdown()
        sys.exit(status)
