"""Unit tests of build_policy against the host's sendmail release (settings' sendmail_version, which the
role takes from its vars per platform): the FEATUREs and defines an older cf tree lacks, and
blocklist_recipients under its 8.15 name. tests/integration/platforms/test_cf_trees.py compares the
tables with the cf trees of Debian 11, 12 and 13."""

import pytest

from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import build_policy

MTA = {'name': 'MTA', 'port': 25, 'addr': '127.0.0.1'}


def run(**data):
    data.setdefault('listen', [MTA])
    return build_policy(data)


@pytest.mark.parametrize('version, rendered', [
    ('8.15', 'blacklist_recipients'), ('8.15.2', 'blacklist_recipients'),
    ('8.16', 'blocklist_recipients'), ('8.17.1', 'blocklist_recipients'), ('8.18', 'blocklist_recipients'),
    (None, 'blocklist_recipients'),
])
def test_blocklist_recipients_built_under_the_name_of_the_hosts_release(version, rendered):
    result = run(features=[{'name': 'blocklist_recipients'}, 'nouucp'], sendmail_version=version)
    assert result['errors'] == []
    assert result['features'] == [{'name': rendered, 'args': []}, {'name': 'nouucp', 'args': []}]


@pytest.mark.parametrize('version', ['8.15', '8.17', '8.18'])
def test_blacklist_recipients_kept_as_written(version):
    # 8.16-8.18 keep the old name as a deprecated alias: what the inventory says is what the mc says.
    result = run(features=['blacklist_recipients'], sendmail_version=version)
    assert result['errors'] == [] and result['features'] == [{'name': 'blacklist_recipients', 'args': []}]


@pytest.mark.parametrize('name', ['sts', 'tls_failures', 'check_cert_altnames', 'check_other'])
def test_features_missing_from_815_refused_there_only(name):
    errors = run(features=[name], sendmail_version='8.15')['errors']
    assert errors == [f"sendmail_features[0] (name {name!r}): sendmail 8.15 (this host's, sendmail_version) has no "
                      f"FEATURE({name!r}): its cf tree lacks it, a later sendmail release added it"], errors
    for version in ('8.17', '8.18', None):
        assert run(features=[name], sendmail_version=version)['errors'] == [], version


def test_fips3_needs_818():
    for version in ('8.15', '8.17'):
        errors = run(features=['fips3'], sendmail_version=version)['errors']
        assert len(errors) == 1 and f"sendmail {version} (this host's, sendmail_version) has no FEATURE('fips3')" \
            in errors[0], errors
    assert run(features=['fips3'], sendmail_version='8.18.1')['errors'] == []


@pytest.mark.parametrize('name', ['confDANE', 'confCRL_PATH', 'confSSL_ENGINE', 'confSSL_ENGINE_PATH',
                                  'confTLS_FALLBACK_TO_CLEAR'])
def test_defines_missing_from_815_refused_there_only(name):
    errors = run(defines={name: 'true', 'confTO_IDENT': '0s'}, sendmail_version='8.15')['errors']
    assert errors == [f"sendmail_defines[{name!r}]: sendmail 8.15 (this host's, sendmail_version) has no {name} "
                      "(its cf would ignore it): its cf tree lacks it, a later sendmail release added it"], errors
    result = run(defines={name: 'true'}, sendmail_version='8.17')
    assert result['errors'] == [] and result['defines'] == [{'name': name, 'value': 'true'}]


@pytest.mark.parametrize('value', [8.15, '9.0', '8', '8.x', 'sendmail 8.17', ['8.17']])
def test_bad_version_refused(value):
    errors = run(features=['nouucp'], sendmail_version=value)['errors']
    assert errors == [f"sendmail_version ({value!r}): must be sendmail's release as a string, e.g. '8.17'"], errors


def test_unknown_feature_still_unknown_with_a_version():
    errors = run(features=['blocklist_recipient'], sendmail_version='8.15')['errors']
    assert len(errors) == 1 and "sendmail has no FEATURE('blocklist_recipient')" in errors[0], errors


@pytest.mark.parametrize('word', ['DANE_NOTLS_MSG', 'DANE_TEMP_MSG'])
def test_macros_of_818s_cf_are_refused_in_values(word):
    # sendmail 8.18's cf defines them (test_m4_safety.py traces each release's m4): m4 would expand them.
    errors = run(defines={'confSMTP_LOGIN_MSG': f'hello {word}'})['errors']
    assert errors == [f"sendmail_defines['confSMTP_LOGIN_MSG']: value 'hello {word}' contains the word {word!r}, "
                      "a macro of sendmail's cf that m4 would run while it builds sendmail.cf"], errors
