"""tests/run.sh's stage 2: the lanes run side by side, each into its own log; a passed lane shows its
summary lines, a failed one its whole log, a table of the lanes ends the run and its exit status says
whether a lane failed; an interrupted run.sh interrupts its lanes, which tear down what they made.
Run for real, on the default release's lane with the live suite cut down by the debugging knobs, so
that no lab is made."""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / 'tests' / 'run.sh'


def _image_exists():
    if not shutil.which('podman'):
        return False
    env = dict(os.environ, CONTAINERS_CONF=str(ROOT / 'lab' / 'containers.conf'))
    env.pop('LAB_IMAGE', None)
    env.pop('LAB_IMAGE_REPO', None)
    res = subprocess.run(['bash', '-c', '. lab/lib.sh && podman image exists "$LAB_IMAGE"'], cwd=ROOT, env=env,
                         check=False)
    return res.returncode == 0


# run.sh sources scripts/setup.sh, which builds the default release's image when it is missing: these
# tests run only where it was built (after setup.sh), never building one themselves.
pytestmark = pytest.mark.skipif(not _image_exists(), reason="needs podman and the default release's lab image")


def _env(tmp_path, pytest_args):
    env = {k: v for k, v in os.environ.items() if not k.startswith(('MAILOPS_', 'LAB_'))}
    env.update({
        'MAILOPS_TEST_STAGE1': '0',
        'MAILOPS_TEST_LANES': 'bookworm',
        'MAILOPS_TEST_MOLECULE': '0',
        'MAILOPS_TEST_PYTEST_ARGS': pytest_args,
        'MAILOPS_TEST_LOGS': str(tmp_path / 'logs'),
        # Lab names no real lane uses: the interrupted run removes the labs of its lanes by name.
        'MAILOPS_TEST_LAB_PREFIX': f'unit{os.getpid()}-',
    })
    return env


def _ignore_sigint():
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run(tmp_path, pytest_args):
    return subprocess.run(['bash', str(RUN)], env=_env(tmp_path, pytest_args), capture_output=True, text=True,
                          timeout=300, check=False)


def test_a_passed_lane_shows_its_summary_and_the_table(tmp_path):
    # --collect-only: the whole live suite collected, no test (and no lab) run.
    res = _run(tmp_path, '--collect-only')
    assert res.returncode == 0, res.stdout + res.stderr
    assert '======== lane bookworm: passed, ' in res.stdout
    assert 'lane: live lab (Debian bookworm) passed, ' in res.stdout
    # The summary only: the lane's log holds every test id, the output none.
    log = (tmp_path / 'logs' / 'bookworm.log').read_text()
    assert 'test_converge_is_idempotent' in log
    assert 'test_converge_is_idempotent' not in res.stdout
    table = res.stdout[res.stdout.index('\nlane '):].splitlines()
    assert table[1].split() == ['lane', 'status', 'seconds']
    assert table[2].split()[:2] == ['bookworm', 'passed'] and len(table) == 3


def test_a_failed_lane_shows_its_whole_log_and_fails_the_run(tmp_path):
    res = _run(tmp_path, 'tests/integration/lab/test_no_such_file.py')
    assert res.returncode == 1, res.stdout + res.stderr
    assert '======== lane bookworm: FAILED, ' in res.stdout
    assert 'ERROR: file or directory not found: tests/integration/lab/test_no_such_file.py' in res.stdout
    assert 'lane: live lab (Debian bookworm) FAILED (exit status 4)' in res.stdout
    assert res.stdout.rstrip().splitlines()[-1].split()[:2] == ['bookworm', 'FAILED']


# SIGINT: Ctrl-C; SIGTERM to a run.sh started with SIGINT ignored (as a script's background job is,
# and its children with it): the lanes still get the interrupt their teardown needs.
@pytest.mark.parametrize('sig, ignore_int, status', [(signal.SIGINT, False, 130), (signal.SIGTERM, True, 143)],
                         ids=['sigint', 'sigterm-with-sigint-ignored'])
def test_an_interrupted_run_interrupts_its_lanes_which_tear_down(tmp_path, sig, ignore_int, status):
    # A test that waits, in the lane's pytest: it says when it runs and what its teardown did.
    sleeper = tmp_path / 'test_sleeper.py'
    sleeper.write_text(
        'import os, time\n'
        'from pathlib import Path\n'
        'def test_sleeper():\n'
        f'    Path({str(tmp_path / "started")!r}).write_text(str(os.getpid()))\n'
        '    try:\n'
        '        time.sleep(240)\n'
        '    finally:\n'
        f'        Path({str(tmp_path / "torn-down")!r}).write_text("yes")\n')
    proc = subprocess.Popen(['bash', str(RUN)], env=_env(tmp_path, f'-k sleeper {sleeper}'),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_ignore_sigint if ignore_int else None)  # pylint: disable=subprocess-popen-preexec-fn
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / 'started').exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, 'the lane never started its test'
            time.sleep(0.2)
        pid = int((tmp_path / 'started').read_text())
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == status, out + err
    assert 'run.sh: interrupting the lanes still running: bookworm' in err
    assert '======== lane bookworm: interrupted' in err
    # The lane's pytest got the interrupt (not a kill): its teardown ran, and it is gone.
    assert (tmp_path / 'torn-down').read_text() == 'yes'
    assert not Path(f'/proc/{pid}').exists()
