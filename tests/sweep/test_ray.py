"""Tests of the Ray backend on a local Ray instance with 2 CPUs, started once for the module.

Ray is imported only through mlplab's backend (which keeps a local instance on 127.0.0.1): no
test module imports it first.
"""

import ipaddress
import os
import sys
from pathlib import Path

import pytest
from sweep_checks import assert_same_as_sequential

from mlplab import sweep
from mlplab.experiment import Settings
from mlplab.sweep.grid import SweepError, check_axes, expand
from mlplab.sweep.ray import start_local
from mlplab.sweep.trials import make_trials

MOONS = {"dataset": "moons", "epochs": 3, "batch_size": 32, "seed": 5}


@pytest.fixture(scope="module")
def ray():
    """A local Ray instance with 2 CPUs, shut down after the module's tests."""
    ray = start_local(num_cpus=2)
    yield ray
    ray.shutdown()


def _descendants(pid):
    """``pid`` and every process below it (Linux: parents read from /proc)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except OSError:
                continue
    family, grew = {pid}, True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in family and child not in family:
                family.add(child)
                grew = True
    return family


def _socket_inodes(pids):
    """The inodes of the sockets the processes ``pids`` hold open."""
    inodes = set()
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        inodes |= {link[8:-1] for link in links if link.startswith("socket:[")}
    return inodes


def _listening_addresses(inodes):
    """The local addresses of the TCP sockets among ``inodes`` that listen (/proc/net/tcp*)."""
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A" or fields[9] not in inodes:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(fields[1].split(":")[0])
            # The kernel prints each 32-bit word of the address in host (little-endian) order.
            words = b"".join(raw[i : i + 4][::-1] for i in range(0, width // 2, 4))
            found.append(ipaddress.ip_address(words))
    return found


def _loopback(address):
    """Whether ``address`` is on the loopback range (an IPv4-mapped IPv6 address included)."""
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def test_the_local_ray_instance_listens_on_the_loopback_range_only(ray):
    assert ray.get_runtime_context().gcs_address.startswith("127.0.0.1:")
    assert {node["NodeManagerAddress"] for node in ray.nodes()} == {"127.0.0.1"}
    assert ray.cluster_resources()["CPU"] == 2
    addresses = _listening_addresses(_socket_inodes(_descendants(os.getpid())))
    assert addresses, "Ray's servers were not found"
    assert all(map(_loopback, addresses)), addresses


def test_ray_tasks_give_exactly_the_numbers_of_sequential_runs(ray, tmp_path):
    grid = {"hidden": [8, 16], "lr": [0.01]}
    result = sweep.run(MOONS, grid, seeds=2, backend="ray", out=tmp_path, progress=False)
    trials = make_trials(Settings(**MOONS), expand(check_axes(grid)), seeds=2)
    assert len(result.trials) == 4
    assert_same_as_sequential(result, trials)
    assert ray.is_initialized()  # a Ray the caller started is used and left running


def test_without_ray_the_backend_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # what an import of a missing package sees
    with pytest.raises(
        SweepError, match=r'backend: the ray backend needs Ray: pip install "mlplab\[ray\]"'
    ):
        sweep.run(MOONS, {"lr": [0.01]}, backend="ray", out=tmp_path / "never")
    assert not (tmp_path / "never").exists()
