"""The Debian releases are kept in step: the images the lab builds (lab/lib.sh LAB_RELEASES) are the
releases molecule runs the fleet on (a scenario each, the default one for the default release), the
Debian platforms every role's meta/main.yml declares, and the ones docs/lab.md names; and a release
that has left the mirror is skipped by lab/image.sh with its message, not built or failed."""

import functools
import http.server
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / 'lab' / 'lib.sh'


def _lib_value(name):
    line = re.search(rf'^{name}="?([^"\n]*)"?$', LIB.read_text(), re.M)
    assert line, f'lab/lib.sh has no {name}=... line'
    return line.group(1)


def releases():
    return _lib_value('LAB_RELEASES').split()


def default_release():
    return _lib_value('LAB_DEFAULT_RELEASE')


def scenarios():
    return {path.parent.name: yaml.safe_load(path.read_text()) for path in (ROOT / 'molecule').glob('*/molecule.yml')}


def test_the_default_release_is_one_of_the_releases():
    assert default_release() == 'bookworm'
    assert default_release() in releases()
    assert len(set(releases())) == len(releases())


def test_molecule_runs_the_fleet_on_each_release_the_lab_builds():
    found = scenarios()
    assert 'default' in found
    others = {name for name in found if name != 'default'}
    assert others | {default_release()} == set(releases()), 'one scenario per release, the default one for the default'
    assert default_release() not in others
    # The default scenario follows MAILOPS_LAB_RELEASE (tests/run.sh sets it); the others pin theirs.
    assert 'MAILOPS_LAB_RELEASE' not in found['default']['provisioner']['env']
    default = found['default']
    for name in others:
        config = found[name]
        assert config['provisioner']['env']['MAILOPS_LAB_RELEASE'] == name
        assert config['verifier']['env']['MAILOPS_LAB_RELEASE'] == name
        # The same fleet, playbooks and verifier tests as the default scenario.
        assert config['verifier']['directory'] == '../default/tests'
        for step, playbook in config['provisioner']['playbooks'].items():
            own = default['provisioner']['playbooks'][step]
            assert playbook == (own if own.startswith('../') else f'../default/{own}'), step
        assert config['platforms'] == default['platforms']
        assert config['scenario'] == default['scenario']
        assert config['provisioner']['inventory'] == default['provisioner']['inventory']


def test_tests_run_sh_runs_every_release_of_the_lab():
    text = (ROOT / 'tests' / 'run.sh').read_text()
    assert '. lab/lib.sh && echo "$LAB_DEFAULT_RELEASE $LAB_RELEASES"' in text
    # One lane per release: molecule's scenario, then the whole live-lab suite, no subset.
    assert 'molecule test -s "$scenario"' in text
    assert 'python -m pytest -q -p no:cacheprovider --durations=15 "${pytest_args[@]}" tests/integration/lab' in text
    assert '-m releases' not in text


def lane_bases():
    line = re.search(r'^LANE_BASES="([^"]*)"$', (ROOT / 'tests' / 'run.sh').read_text(), re.M)
    assert line, 'tests/run.sh has no LANE_BASES="..." line'
    return dict(pair.split('=') for pair in line.group(1).split())


def test_each_lane_of_tests_run_sh_has_its_own_lab_subnet():
    bases = lane_bases()
    assert set(bases) == set(releases()) | {'matrix'}
    assert len(set(bases.values())) == len(bases), f'two lanes share a /27: {bases}'
    # 0 is the demo's and 32 molecule's when run by hand (docs/lab.md); lab.sh takes /27 starts from 0 to 160.
    assert {int(base) for base in bases.values()} <= {64, 96, 128, 160}, bases
    assert bases['matrix'] == '160', 'tests/matrix.sh defaults to 160 when run alone'


@pytest.mark.parametrize('role', sorted(p.parent.parent.name for p in (ROOT / 'roles').glob('*/meta/main.yml')))
def test_each_role_declares_the_releases_the_lab_tests(role):
    meta = yaml.safe_load((ROOT / 'roles' / role / 'meta' / 'main.yml').read_text())
    debian = [p for p in meta['galaxy_info']['platforms'] if p['name'] == 'Debian']
    assert len(debian) == 1, meta['galaxy_info']['platforms']
    assert debian[0]['versions'] == releases()


def test_docs_name_every_release():
    text = (ROOT / 'docs' / 'lab.md').read_text()
    for release in releases():
        assert f'`{release}`' in text, release


def _lab_env(**extra):
    env = dict(os.environ, CONTAINERS_CONF=str(ROOT / 'lab' / 'containers.conf'))
    env.pop('LAB_IMAGE', None)
    env.update(extra)
    return env


def test_an_unknown_release_is_refused_naming_the_releases():
    res = subprocess.run(['bash', str(ROOT / 'lab' / 'lab.sh'), 'env'], capture_output=True, text=True,
                         env=_lab_env(MAILOPS_LAB_RELEASE='buster'), check=False)
    assert res.returncode == 2
    assert f"MAILOPS_LAB_RELEASE must be one of: {' '.join(releases())} (not 'buster')" in res.stderr


@pytest.mark.parametrize('base, ok', [('160', True), ('192', False), ('224', False), ('40', False)])
def test_lab_bases_are_the_six_27s_below_podmans_default_network(base, ok):
    res = subprocess.run(['bash', str(ROOT / 'lab' / 'lab.sh'), 'env'], capture_output=True, text=True,
                         env=_lab_env(MAILOPS_LAB_BASE=base), check=False)
    if ok:
        assert res.returncode == 0 and f'LAB_SUBNET=198.51.100.{base}/27\n' in res.stdout, res.stderr
    else:
        assert res.returncode == 2
        assert 'MAILOPS_LAB_BASE must be a /27 start from 0 to 160' in res.stderr
        assert "podman's default network, 198.51.100.192/26" in res.stderr


def test_lab_env_shows_the_release_and_its_image():
    res = subprocess.run(['bash', str(ROOT / 'lab' / 'lab.sh'), 'env'], capture_output=True, text=True,
                         env=_lab_env(MAILOPS_LAB_RELEASE='trixie', LAB_IMAGE_REPO='localhost/x'), check=True)
    assert 'MAILOPS_LAB_RELEASE=trixie\n' in res.stdout
    assert 'LAB_IMAGE=localhost/x:trixie\n' in res.stdout


@pytest.mark.skipif(not (shutil.which('podman') and shutil.which('wget')), reason='needs podman and wget')
def test_a_release_gone_from_the_mirror_is_skipped_with_a_message(tmp_path):
    # A mirror (a real HTTP server on loopback) that carries only the default release's suite.
    (tmp_path / 'dists' / default_release()).mkdir(parents=True)
    (tmp_path / 'dists' / default_release() / 'InRelease').write_text('placeholder\n')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    mirror = f'http://127.0.0.1:{server.server_address[1]}'
    # An image name no lab uses, so that no image of the recipe exists.
    repo = 'localhost/mailops-lab-test-gone'
    gone = next(r for r in releases() if r != default_release())
    try:
        res = subprocess.run(['bash', str(ROOT / 'lab' / 'image.sh')], capture_output=True, text=True, timeout=120,
                             env=_lab_env(MAILOPS_LAB_RELEASE=gone, LAB_IMAGE_REPO=repo, LAB_MIRROR=mirror),
                             check=False)
    finally:
        server.shutdown()
        server.server_close()
    assert res.returncode == 3, res
    assert (f'SKIP: Debian {gone} is no longer on the mirror {mirror} (dists/{gone}/InRelease: HTTP 404) '
            f'and no image {repo}:{gone} of this recipe exists') in res.stderr
    assert 'building' not in res.stdout
    inspect = subprocess.run(['podman', 'image', 'exists', f'{repo}:{gone}'], env=_lab_env(), check=False)
    assert inspect.returncode == 1
