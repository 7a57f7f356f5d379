"""Every supported platform resolves to a complete set of the sendmail role's names and paths, and every
template of every role renders for it with that platform's content; an unsupported OS is refused first.

The roles run as they do on a host (site.yml's validate steps: the platform check, the vars files of
vars/main.yml's __sendmail_vars_files, the policy action), on localhost, with each platform's facts
set as facts; then each file of the role's file table (roles/sendmail/vars/main.yml) and the fqdn
role's hosts.j2 are rendered with ansible.builtin.template, which plugin_utils/_render.py (the
install_files action) matches byte for byte (tests/unit/plugins/action/test_install_files_render.py).
No Red Hat host is reachable here: tests/integration/platforms builds the Red Hat mc rendered here
into a sendmail.cf and checks it with sendmail.
"""

import json
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'support'))

from platforms import (  # noqa: E402  pylint: disable=wrong-import-position
    PLATFORMS, PLAYBOOK, REPO, UNSUPPORTED, VARS, debian_keys, inventory, mc as _mc, render, run_playbook)

from ansible_collections.mailops.sendmail.plugins.plugin_utils import _platforms  # noqa: E402

SUPPORTED_TEXT = 'Debian 11, 12, 13; RedHat 8, 9, 10; Rocky 8, 9, 10; AlmaLinux 8, 9, 10; Fedora every release'

# What differs by family, as the vars files must give it (the role's tasks and templates hold no OS condition).
FAMILY = {
    'Debian': {
        '__sendmail_cf_m4': '/usr/share/sendmail/cf/m4/cf.m4', '__sendmail_ostype': 'debian',
        '__sendmail_domain': 'debian-mta', '__sendmail_mail_log': '/var/log/mail.log',
        '__sendmail_pidfile': '/run/sendmail/mta/sendmail.pid', '__sendmail_conf_group': 'smmsp',
        '__sendmail_boot_services': ['sendmail'],
    },
    'RedHat': {
        '__sendmail_cf_m4': '/usr/share/sendmail-cf/m4/cf.m4', '__sendmail_ostype': 'linux',
        '__sendmail_domain': '', '__sendmail_mail_log': '/var/log/maillog',
        '__sendmail_pidfile': '/run/sendmail.pid', '__sendmail_conf_group': 'root',
        '__sendmail_boot_services': ['sendmail', 'sm-client'],
    },
}
# The sendmail release each platform ships (the policy validator's sendmail_version).
SENDMAIL_VERSIONS = {'debian11': '8.15', 'debian12': '8.17', 'debian13': '8.18', 'rhel8': '8.15', 'rocky8': '8.15',
                     'alma8': '8.15', 'rhel9': '8.16', 'rocky9': '8.16', 'alma9': '8.16', 'rhel10': '8.18',
                     'rocky10': '8.18', 'alma10': '8.18', 'fedora41': '8.18', 'fedora43': '8.18'}
FAMILY_PACKAGES = {
    'Debian': {'sendmail', 'sendmail-bin', 'sendmail-cf', 'm4', 'make'},
    'RedHat': {'sendmail', 'sendmail-cf', 'procmail', 'm4', 'make'},
}


@pytest.fixture(scope='module')
def rendered(tmp_path_factory, ansible_json_env):
    """{platform: {'vars': the resolved names and paths, file id: rendered text}}"""
    tmp = tmp_path_factory.mktemp('platforms')
    return render(tmp, ansible_json_env(tmp))


def test_family_files_have_the_same_keys():
    keys = debian_keys()
    for path in VARS.glob('*.yml'):
        if path.name == 'main.yml':
            continue
        data = yaml.safe_load(path.read_text())
        if '-' in path.stem:
            # a release's file changes what differs for that release, nothing new
            assert set(data) <= set(keys), (path.name, sorted(set(data) - set(keys)))
        else:
            assert sorted(data) == keys, path.name


@pytest.mark.parametrize('name', sorted(PLATFORMS))
def test_every_platform_resolves_every_name_and_path(rendered, name):
    family = PLATFORMS[name][0]
    resolved = rendered[name]['vars']
    assert sorted(resolved) == debian_keys()
    for key, value in resolved.items():
        assert value not in (None, []) or key == '__sendmail_mc_prelude', (name, key)
    for key, want in FAMILY[family].items():
        assert resolved[key] == want, (name, key)
    assert FAMILY_PACKAGES[family] <= set(resolved['__sendmail_packages'])
    assert resolved['__sendmail_version'] == SENDMAIL_VERSIONS[name]


@pytest.mark.parametrize('name', sorted(PLATFORMS))
def test_every_template_renders_with_the_platform_content(rendered, name):
    family = PLATFORMS[name][0]
    files = rendered[name]
    mc = _mc(files)
    want = FAMILY[family]
    assert f"include(`{want['__sendmail_cf_m4']}')dnl\n" in mc
    assert f"OSTYPE(`{want['__sendmail_ostype']}')dnl\n" in mc
    if family == 'Debian':
        assert "DOMAIN(`debian-mta')dnl\n" in mc
        assert "define(`_USE_ETC_MAIL_')dnl\n" in mc
    else:
        assert 'DOMAIN(' not in mc and '_USE_ETC_MAIL_' not in mc and 'debian' not in mc.lower()
    # The same policy on every platform: the mc's policy lines and every map are identical.
    reference = rendered['debian12']
    policy = [line for line in mc.splitlines() if line.startswith(('FEATURE(', 'DAEMON_OPTIONS(', 'define(`conf'))]
    assert policy == [line for line in _mc(reference).splitlines()
                      if line.startswith(('FEATURE(', 'DAEMON_OPTIONS(', 'define(`conf'))]
    assert "FEATURE(`dnsbl', `bl.example.net'" in mc
    assert "define(`ALIAS_FILE', `/etc/aliases')dnl" in mc
    for key, text in files.items():
        if key not in ('vars', 'hosts') and not key.startswith('mc_'):
            assert text == reference[key], (name, key)
    assert 'Connect:192.0.2.10\tRELAY' in files['access_etc_mail_access']
    assert 'sales@example.com\talice' in files['virtusertable_etc_mail_virtusertable']
    assert 'partner.example\tesmtp:[relay.partner.example]' in files['mailertable_etc_mail_mailertable']
    assert 'everyone:' in files['aliases_etc_aliases'] and ':include:/srv/mail-lists/everyone' in files['aliases_etc_aliases']
    assert files['relay-domains_etc_mail_relay-domains'].splitlines()[-1] == 'relay.example'
    assert files['local-host-names_etc_mail_local-host-names'].splitlines()[-1] == 'example.com'
    assert files['lists_srv_mail-lists_everyone'].split()[-2:] == ['dave', 'erin']
    assert f'192.0.2.25\tmx.{name}.example mx\n' in files['hosts']
    kept = [line.split() for line in files['hosts'].splitlines() if line.startswith('192.0.2.99\t')]
    assert [sorted(fields) for fields in kept] == [['192.0.2.99', 'other', 'other.example']]


def test_an_unsupported_os_is_refused_first_naming_it_and_the_supported_ones(tmp_path, ansible_json_env):
    inventory(tmp_path, UNSUPPORTED)
    run = run_playbook(tmp_path, ansible_json_env(tmp_path))
    assert run.returncode != 0
    result = json.loads(run.stdout)
    tasks = [t for t in result['plays'][0]['tasks'] if 'Validating arguments' not in t['task']['name']]
    # The first task after the facts fails every host (any_errors_fatal): nothing after it ran.
    assert [t['task']['name'] for t in tasks][1:] == [
        'mailops.sendmail.fqdn : Refuse an unsupported OS, an invalid name or address (nothing has been changed on any host)']
    failed = tasks[1]['hosts']
    for name, (_family, distribution, _major, version) in UNSUPPORTED.items():
        msg = failed[name]['msg']
        assert msg == (f'{name} runs {distribution} {version}, which mailops.sendmail does not support '
                       f'(it supports {SUPPORTED_TEXT}). Nothing has been changed.')
    assert not any((tmp_path / 'out' / name / 'vars.json').exists() for name in UNSUPPORTED)


def test_the_sendmail_role_refuses_an_unsupported_os_before_its_first_host_step(tmp_path, ansible_json_env):
    """Used alone (not after fqdn's validate), the sendmail role refuses the OS before its policy and vars."""
    inventory(tmp_path, {'ubuntu': UNSUPPORTED['ubuntu']})
    playbook = PLAYBOOK.replace("""    - name: Validate the fqdn settings
      ansible.builtin.import_role:
        name: mailops.sendmail.fqdn
        tasks_from: validate
""", '')
    (tmp_path / 'site.yml').write_text(playbook)
    run = run_playbook(tmp_path, ansible_json_env(tmp_path))
    assert run.returncode != 0
    tasks = json.loads(run.stdout)['plays'][0]['tasks']
    # The policy action refuses the OS itself, before it reads a setting, and no vars file was loaded.
    assert tasks[-1]['task']['name'] == ('mailops.sendmail.sendmail : Refuse an unsupported OS, merge the base, group and '
                                         'host layers and validate every entry (nothing has been changed on any host)')
    assert tasks[-1]['hosts']['ubuntu']['msg'].startswith('ubuntu runs Ubuntu 24.04, which mailops.sendmail does not')
    assert 'policy' not in tasks[-1]['hosts']['ubuntu']
    loaded = [t for t in tasks if t['task']['name'].endswith('Load the names and paths of this OS family, distribution and release')]
    assert [t['hosts']['ubuntu'].get('results') for t in loaded] == [[]], 'no vars file of another OS was loaded'


def test_the_platform_table_agrees_with_the_roles_meta_and_galaxy():
    sendmail = _platforms.PLATFORMS
    assert _platforms.platforms_text() == SUPPORTED_TEXT
    galaxy_names = {'RedHat': 'EL', 'Rocky': 'EL', 'AlmaLinux': 'EL', 'Debian': 'Debian', 'Fedora': 'Fedora'}
    for role in ('sendmail', 'fqdn', 'dns_check'):
        meta = yaml.safe_load((REPO / 'roles' / role / 'meta' / 'main.yml').read_text())
        platforms = {p['name']: p['versions'] for p in meta['galaxy_info']['platforms']}
        assert platforms == {'Debian': ['bullseye', 'bookworm', 'trixie'], 'EL': ['8', '9', '10'],
                             'Fedora': ['all']}, role
    assert set(galaxy_names) == set(sendmail)
    tags = yaml.safe_load((REPO / 'galaxy.yml').read_text())['tags']
    assert {'debian', 'rhel', 'fedora'} <= set(tags)


@pytest.mark.parametrize('facts, supported', [
    ({'distribution': 'Debian', 'distribution_major_version': '11', 'distribution_version': '11.11'}, True),
    ({'distribution': 'Debian', 'distribution_major_version': '10', 'distribution_version': '10.13'}, False),
    ({'distribution': 'Fedora', 'distribution_major_version': 41, 'distribution_version': '41'}, True),
    ({'distribution': 'Rocky', 'distribution_major_version': '7', 'distribution_version': '7.9'}, False),
    ({'distribution': 'CentOS', 'distribution_major_version': '9', 'distribution_version': '9'}, False),
    ({}, False),
])
def test_platform_error_names_the_host_its_os_and_the_supported_ones(facts, supported):
    error = _platforms.platform_error(facts, 'mx7')
    if supported:
        assert error == ''
    else:
        assert error == ('mx7 runs %s %s, which mailops.sendmail does not support (it supports %s). Nothing has been '
                         'changed.' % (facts.get('distribution', 'an OS without distribution facts'),
                                       facts.get('distribution_version', ''), SUPPORTED_TEXT))
