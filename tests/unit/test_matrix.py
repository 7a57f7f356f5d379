"""The ansible-core releases the collection claims (meta/runtime.yml's requires_ansible) are the
ones tested: the older minor releases in tests/matrix.sh and the newest in the main venv
(tests/requirements.txt), one after the other with no gap."""

import re
from pathlib import Path

import yaml
from ansible.release import __version__ as CORE_VERSION

ROOT = Path(__file__).resolve().parents[2]


def _minor(version):
    return tuple(int(part) for part in version.split('.')[:2])


def matrix():
    """[(ansible-core version, ansible version)] of tests/matrix.sh's MATRIX_CORE."""
    line = re.search(r'^MATRIX_CORE="([^"]*)"$', (ROOT / 'tests' / 'matrix.sh').read_text(), re.M)
    assert line, 'tests/matrix.sh has no MATRIX_CORE="..." line'
    return [tuple(pair.split('=')) for pair in line.group(1).split()]


def main_venv_range():
    """(lowest, highest excluded) ansible-core minor release of tests/requirements.txt."""
    spec = re.search(r'^ansible-core>=([\d.]+),<([\d.]+)$', (ROOT / 'tests' / 'requirements.txt').read_text(), re.M)
    assert spec, 'tests/requirements.txt pins ansible-core as >=2.N,<2.M'
    return _minor(spec.group(1)), _minor(spec.group(2))


def test_matrix_pins_one_patch_release_per_minor_release_with_its_ansible_package():
    pairs = matrix()
    assert pairs, 'tests/matrix.sh tests no release'
    for core, ansible in pairs:
        assert re.fullmatch(r'2\.\d+\.\d+', core) and re.fullmatch(r'\d+\.\d+\.\d+', ansible), (core, ansible)
        # ansible N is made for ansible-core 2.(N+7): ansible 9 for 2.16, ..., ansible 12 for 2.19
        assert int(ansible.split('.')[0]) + 7 == _minor(core)[1], (core, ansible)
    minors = [_minor(core) for core, dummy in pairs]
    assert minors == sorted(set(minors)), 'one release per minor release, oldest first'


def test_the_releases_tested_are_the_range_requires_ansible_states():
    minors = [_minor(core) for core, dummy in matrix()]
    newest, excluded = main_venv_range()
    assert excluded == (newest[0], newest[1] + 1), 'the main venv is one minor release'
    tested = minors + [newest]
    assert tested == [(2, n) for n in range(minors[0][1], newest[1] + 1)], f'a gap in the tested releases: {tested}'
    runtime = yaml.safe_load((ROOT / 'meta' / 'runtime.yml').read_text())
    assert runtime['requires_ansible'] == '>=%d.%d.0' % minors[0]


def test_these_tests_run_on_a_release_of_the_range():
    minors = [_minor(core) for core, dummy in matrix()] + [main_venv_range()[0]]
    assert _minor(CORE_VERSION) in minors
