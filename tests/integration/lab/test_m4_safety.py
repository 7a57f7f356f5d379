"""An inventory value is data, never m4 code, and the open-relay judgement is backed by sendmail itself.

Both run the real m4 and sendmail of a lab host (mx1 of the live lab) on sendmail.mc files
rendered on the controller from the role's own template and build_policy's output, without
touching the host's configuration (everything happens in a scratch directory):

* every mc-bound variable gets a corpus of m4 builtins, sendmail's cf macros and quoting
  tricks; each value is either refused by the validator or, when accepted, leaves no trace of
  having run (a canary file, /etc/shadow in the cf, m4 complaints) and changes the built
  sendmail.cf only in the lines that carry the value itself;
* every name m4 defines while it builds the lab's sendmail.mc (with more features switched on)
  is one the validator treats as a macro;
* for each form the open-relay guard refuses, the same policy accepted with
  sendmail_allow_open_relay renders a config that `sendmail -bt` shows relaying for an
  outside client, while the config without it refuses that client.
"""

from __future__ import annotations

import difflib
import json
import re
import shlex
from pathlib import Path

import jinja2
import pytest
from ansible.plugins.filter.core import comment

from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import build_policy
from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy._m4 import is_macro
from lab import role_vars  # tests/support, on the path through conftest

# The release's own m4, cf tree, makemap and sendmail -bt build every example: run on every release (tests/run.sh).
pytestmark = pytest.mark.releases

ROOT = Path(__file__).resolve().parents[3]
SCRATCH = '/root/m4-safety'
CANARY = '/tmp/mailops-m4-canary'
# The lab hosts' sendmail release, as the role gives it to the validator (vars per Debian release).
BASE = {'mode': 'server', 'listen': [{'name': 'MTA-v4', 'port': 25, 'addr': '0.0.0.0'}],
        'sendmail_version': role_vars()['__sendmail_version']}
PLACEHOLDER = 'mailopsplaceholder'

# m4 builtins, sendmail cf macros and quoting tricks; each is tried in every context.
CORPUS = [
    f'esyscmd(touch {CANARY})', f'syscmd(touch {CANARY})', f'x esyscmd(`touch {CANARY}\')',
    'include(/etc/shadow)', 'sinclude(/etc/shadow)', 'include', 'm4exit(3)', 'm4exit', 'divert(-1)', 'undivert(1)',
    'dnl', 'x dnl y', 'changequote([,])', 'define(`FEATURE\', `x\')', "a', `b", '`', "'", 'errprint(oops)',
    '__file__', 'undefine(MAILER)', 'MAILER(prog)', 'FEATURE(promiscuous_relay)', '_PROMISCUOUS_RELAY_',
    'confPRIVACY_FLAGS', 'lower', 'translit(abc, a, b)', 'a)b', '(a', 'a,b', 'a, (b, c)', 'x#y ) z',
    'eval(1+1)', 'format(%s, x)', 'index(abc, b)', 'shift(a, b)', 'len(x)', '$&{client_addr}', 'plain text',
    'Rejected (see list, section 2)', 'x\ny', 'x\x00y', f'fe80::1%esyscmd(touch {CANARY})', '$1 $# $* $@',
]


def _contexts(value):
    """Each mc-bound variable of build_policy's input, holding ``value``."""
    return {
        'define value': {'defines': {'confTO_IDENT': value}},
        'feature argument': {'features': [{'name': 'domaintable', 'args': [value]}]},
        'dnsbl message': {'dnsbl': [{'zone': 'bl.example.net', 'message': value}]},
        'dnsbl zone': {'dnsbl': [{'zone': value}]},
        'smart host': {'smart_host': value},
        'listen name': {'listen': [{'name': value, 'port': 25, 'addr': '0.0.0.0'}]},
        'listen filters': {'listen': [{'name': 'MTA-v4', 'port': 25, 'addr': '0.0.0.0', 'input_mail_filters': value}]},
        'listen addr': {'listen': [{'name': 'MTA-v6', 'port': 25, 'addr': value}]},
        # masquerading and genericstable's class G
        'masquerade as': {'masquerade_as': value},
        'masquerade domain': {'masquerade_as': 'example.com', 'masquerade_domains': [value]},
        'exposed user': {'masquerade_as': 'example.com', 'exposed_users': [value]},
        'generics domain': {'generics_domains': [value]},
        # STARTTLS (sendmail_tls_*): the paths and options that go into the mc.
        'tls cert file': {'tls': dict(_TLS, cert_file=value)},
        'tls ca dir': {'tls': dict(_TLS, ca_dir=value)},
        'tls ssl options': {'tls': dict(_TLS, server_ssl_options=value)},
        'tls cipher list': {'tls': dict(_TLS, cipher_list=value)},
        # Mail filters (sendmail_milters, sendmail_input_mail_filters): INPUT_MAIL_FILTER's name and equates,
        # and confINPUT_MAIL_FILTERS' order.
        'milter name': {'milters': [{'name': value, 'socket': _SOCKET}]},
        'milter socket': {'milters': [{'name': 'filter', 'socket': value}]},
        'milter flags': {'milters': [{'name': 'filter', 'socket': _SOCKET, 'flags': value}]},
        'milter timeout': {'milters': [{'name': 'filter', 'socket': _SOCKET, 'timeouts': {'S': value}}]},
        'milter order': {'milters': [{'name': 'filter', 'socket': _SOCKET}, {'name': 'other', 'socket': _SOCKET}],
                         'input_mail_filters': ['other', value]},
    }


# A STARTTLS set from host files, for the tls contexts above.
_TLS = {'cert_file': '/etc/mail/tls/c.crt', 'key_file': '/etc/mail/tls/c.key', 'ca_file': '/etc/mail/tls/ca.crt',
        'ca_dir': '/etc/ssl/certs', 'client_cert': True}
_SOCKET = 'inet:8891@localhost'
# What the tls and milter contexts hold in the mc the others are compared with (the placeholder word is no
# path, no SSL option, no socket, flag or timeout, and names no declared milter).
_BASE_VALUES = {'tls cert file': f'/{PLACEHOLDER}', 'tls ca dir': f'/{PLACEHOLDER}', 'tls ssl options': '+SSL_OP_ALL',
                'milter socket': f'local:/{PLACEHOLDER}', 'milter flags': 'R', 'milter timeout': '1s',
                'milter order': 'filter'}


_TEMPLATE = jinja2.Environment(loader=jinja2.FileSystemLoader(str(ROOT / 'roles' / 'sendmail' / 'templates')),
                               keep_trailing_newline=True, trim_blocks=True)
_TEMPLATE.filters['comment'] = comment


def render_mc(policy: dict) -> str:
    return _TEMPLATE.get_template('sendmail.mc.j2').render(
        ansible_managed='Ansible managed', __sendmail_conf_dir='/etc/mail', sendmail_mode='server',
        __sendmail_cf_m4='/usr/share/sendmail/cf/m4/cf.m4', __sendmail_ostype='debian',
        __sendmail_domain='debian-mta', __sendmail_aliases_file='/etc/aliases', __sendmail_policy=policy)


def policy_of(data: dict) -> dict:
    return build_policy(dict(BASE, **data))


# Runs on the host: builds every mc of the job into a cf with m4, reports m4's exit code and
# stderr, whether the canary appeared, and the cf.
_BUILD = r'''
import json, os, subprocess, sys
out = {}
for name in sorted(os.listdir(sys.argv[1])):
    if not name.endswith('.mc'):
        continue
    base = os.path.join(sys.argv[1], name[:-3])
    if os.path.exists(sys.argv[2]):
        os.unlink(sys.argv[2])
    with open(base + '.cf', 'w') as cf:
        run = subprocess.run(['m4', base + '.mc'], stdout=cf, stderr=subprocess.PIPE, text=True, timeout=30)
    out[name[:-3]] = {'rc': run.returncode, 'stderr': run.stderr, 'canary': os.path.exists(sys.argv[2]),
                      'cf': open(base + '.cf', errors='replace').read()}
print(json.dumps(out))
'''


def build_on_host(live, mcs: dict[str, str]) -> dict:
    """m4 every mc on mx1; {name: {rc, stderr, canary, cf}}."""
    live.sh('mx1', f'rm -rf {SCRATCH} && mkdir -p {SCRATCH}')
    script = ''.join(f"cat > {SCRATCH}/{name}.mc <<'MAILOPS_EOF'\n{text}MAILOPS_EOF\n" for name, text in mcs.items())
    live.sh('mx1', script)
    out = live.sh('mx1', f'python3 -c {shlex.quote(_BUILD)} {SCRATCH} {CANARY}', timeout=600).stdout
    return json.loads(out)


def _literal(context: str, value: str, policy: dict) -> str:
    """The text the value must appear as in sendmail.cf."""
    if context == 'dnsbl message':
        return policy['dnsbl'][0]['mc'][2:-2]
    return value


def _cf_lines(cf: str) -> list[str]:
    """The lines of a sendmail.cf, less the one that records when and by whom it was built."""
    return [line for line in cf.splitlines() if not line.startswith('##### built by ')]


def test_no_mc_value_runs_as_m4_code(live):
    accepted, refused, mcs = {}, {}, {}
    for index, value in enumerate(CORPUS):
        for context, data in _contexts(value).items():
            policy = policy_of(data)
            if policy['errors']:
                refused[(context, value)] = policy['errors']
                continue
            name = f'v{index}-{context.replace(" ", "-")}'
            accepted[name] = (context, value, policy)
            mcs[name] = render_mc(policy)
    for context, data in _contexts(PLACEHOLDER).items():
        if context == 'dnsbl zone':
            data = {'dnsbl': [{'zone': f'{PLACEHOLDER}.example.net'}]}
        if context == 'listen addr':
            data = {'listen': [{'name': 'MTA-v6', 'port': 25, 'addr': '::1'}]}
        if context in _BASE_VALUES:
            data = _contexts(_BASE_VALUES[context])[context]
        policy = policy_of(data)
        assert policy['errors'] == [], (context, policy['errors'])
        mcs[f'base-{context.replace(" ", "-")}'] = render_mc(policy)

    # The validator refuses every value that m4 could read as code, with a reason.
    for (context, value), errors in refused.items():
        assert errors and all(errors), (context, value, errors)
    for value in (f'esyscmd(touch {CANARY})', 'include(/etc/shadow)', "a', `b", 'dnl', '_PROMISCUOUS_RELAY_'):
        for context in ('define value', 'feature argument', 'smart host', 'listen name', 'dnsbl zone', 'masquerade as',
                        'masquerade domain', 'exposed user', 'generics domain'):
            assert (context, value) in refused, (context, value)
    assert ('listen addr', f'fe80::1%esyscmd(touch {CANARY})') in refused
    for value in (f'esyscmd(touch {CANARY})', 'include(/etc/shadow)', "a', `b", 'dnl', '$1 $# $* $@'):
        for context in ('tls cert file', 'tls ca dir', 'tls ssl options', 'tls cipher list'):
            assert (context, value) in refused, (context, value)
    for value in (f'esyscmd(touch {CANARY})', 'include(/etc/shadow)', "a', `b", 'dnl', '_PROMISCUOUS_RELAY_',
                  '$1 $# $* $@', 'x\ny', 'a,b', 'x#y ) z'):
        for context in ('milter name', 'milter socket', 'milter flags', 'milter timeout', 'milter order'):
            assert (context, value) in refused, (context, value)
    assert ('define value', '$1 $# $* $@') in refused
    # ... and the client-visible texts keep commas, parentheses and any word, as data.
    for value in ('include(/etc/shadow)', f'esyscmd(touch {CANARY})', 'Rejected (see list, section 2)',
                  '$&{client_addr}', 'a,b', 'MAILER(prog)'):
        assert ('dnsbl message', value) not in refused, refused.get(('dnsbl message', value))

    built = build_on_host(live, mcs)
    for name, (context, value, policy) in accepted.items():
        result = built[name]
        assert not result['canary'], (context, value)
        assert result['rc'] == 0 and result['stderr'] == '', (context, value, result['stderr'])
        base = _cf_lines(built[f'base-{context.replace(" ", "-")}']['cf'])
        cf = _cf_lines(result['cf'])
        assert len(cf) == len(base), (context, value)
        changed = [line for line in difflib.ndiff(base, cf) if line.startswith('+ ')]
        literal = _literal(context, value, policy)
        assert changed and all(literal in line for line in changed), (context, value, changed)
        assert 'root:' not in result['cf']
    assert accepted, 'no value of the corpus was accepted anywhere'


def test_every_macro_m4_defines_is_refused_as_a_word(live):
    """The validator's list of macro names against what m4 really defines on the host."""
    policy = policy_of({'masquerade_as': 'example.com', 'masquerade_domains': ['example.net'], 'exposed_users': ['root'],
                        'generics_domains': ['example.org'], 'masquerade_envelope': True, 'allmasquerade': True,
                        'masquerade_entire_domain': True, 'limited_masquerade': True, 'generics_entire_domain': True,
                        'features': ['domaintable', 'ratecontrol', 'conncontrol', 'greet_pause',
                                     'badmx', 'require_rdns', 'blocklist_recipients', 'authinfo', 'nouucp',
                                     'always_add_domain', 'local_procmail', 'smrsh', 'virtuser_entire_domain'],
                        'dnsbl': [{'zone': 'bl.example.net'}],
                        'listen': [{'name': 'MTA-v4', 'port': 25, 'addr': '0.0.0.0'},
                                   {'name': 'MSA', 'port': 587, 'addr': '0.0.0.0', 'modifiers': 'Ea'}]})
    assert policy['errors'] == []
    live.sh('mx1', f'mkdir -p {SCRATCH}')
    live.sh('mx1', f"cat > {SCRATCH}/trace.mc <<'MAILOPS_EOF'\n{render_mc(policy)}MAILOPS_EOF\n")
    live.sh('mx1', f'cd {SCRATCH} && m4 --debug=aq --trace=define --trace=pushdef --debugfile=trace.txt trace.mc '
                   '> trace.cf')
    for mc in ('trace.mc', '/etc/mail/sendmail.mc'):
        live.sh('mx1', f'cd {SCRATCH} && m4 --debug=aq --trace=define --trace=pushdef --debugfile=t.txt {mc} >/dev/null'
                       ' && cat t.txt >> all.txt')
    traced = live.sh('mx1', f"grep -o -- '- \\(define\\|pushdef\\)(`[A-Za-z_][A-Za-z0-9_]*' {SCRATCH}/all.txt "
                            "| sed 's/.*`//' | sort -u").stdout.split()
    assert len(traced) > 200, traced
    assert [name for name in traced if not is_macro(name)] == []


# Each form the open-relay guard refuses: the policy, the client (address, name) and the
# recipient that the rendered config would then relay for; the config without the form (the
# role's defaults, or the given policy) refuses that recipient.
RELAY_FORMS = {
    'access IPv4-mapped prefix': ({'access': [{'key': 'Connect:IPv6:::ffff', 'action': 'RELAY'}]},
                                  'IPv6:::ffff:198.51.100.250', 'outsider.invalid', 'victim@victim.example.com'),
    'access public suffix To:': ({'access': [{'key': 'To:com', 'action': 'RELAY'}]},
                                 '198.51.100.250', 'outsider.invalid', 'victim@victim.com'),
    'access public suffix Connect:': ({'access': [{'key': 'Connect:github.io', 'action': 'RELAY'}]},
                                      '198.51.100.250', 'anyone.github.io', 'victim@victim.example.com'),
    'relay-domains public suffix': ({'relay_domains': ['co.uk']}, '198.51.100.250', 'outsider.invalid',
                                    'victim@victim.co.uk'),
    'promiscuous_relay': ({'features': ['promiscuous_relay']}, '198.51.100.250', 'outsider.invalid',
                          'victim@victim.example.com'),
    'cf-internal macro in a raw line': ({'mc_extra_lines': ["define(`_PROMISCUOUS_RELAY_', `1')dnl"]},
                                        '198.51.100.250', 'outsider.invalid', 'victim@victim.example.com'),
    'loose_relay_check': ({'features': ['loose_relay_check'], 'relay_domains': ['other.test']}, '198.51.100.250',
                          'outsider.invalid', 'victim%victim.example.com@other.test'),
    # example.test's MX is mx1 ($j, so in class w), and example.test itself is left out of class w
    # here (LOCAL_NAMES): only the MX makes it a relay destination.
    'relay_based_on_MX': ({'features': ['relay_based_on_MX']}, '198.51.100.250', 'outsider.invalid',
                          'victim@example.test'),
    'relay_local_from': ({'features': ['relay_local_from']}, '198.51.100.250', 'outsider.invalid',
                         'victim@victim.example.com'),
    'relay_mail_from': ({'features': ['relay_mail_from'], 'access': [{'key': 'From:friend@other.test', 'action': 'RELAY'}]},
                        '198.51.100.250', 'outsider.invalid', 'victim@victim.example.com'),
}
# What the config without the refused form holds, where it is more than the role's defaults.
BASELINES = {'loose_relay_check': {'relay_domains': ['other.test']},
             'relay_mail_from': {'access': [{'key': 'From:friend@other.test', 'action': 'RELAY'}]}}
# The envelope sender ($f) the relay decision reads, for the forms that judge by it: a sender of
# mx1's own domain (class w, from its local-host-names), and one listed with From: RELAY.
SENDERS = {'relay_local_from': 'anyone@example.test', 'relay_mail_from': 'friend@other.test'}
# Class w of the config under test, where it is not mx1's own local-host-names.
LOCAL_NAMES = {'relay_based_on_MX': ['localhost']}


def _bt(live, name: str, policy: dict, client_addr: str, client_name: str, rcpt: str, sender: str = '<>',
        local_names: list[str] | None = None) -> str:
    """sendmail -bt on the rendered config, with its own access and relay-domains (and local-host-names
    when given), for one RCPT."""
    work = f'{SCRATCH}/{name}'
    access = ''.join(f"{e['key']}\t{e['action']}\n" for e in policy['access'])
    relay = ''.join(f'{d}\n' for d in policy['relay_domains'])
    cw = '' if local_names is None else (
        f"printf %s {shlex.quote(''.join(n + chr(10) for n in local_names))} > local-host-names && "
        f"sed -i 's#/etc/mail/local-host-names#{work}/local-host-names#' sendmail.cf && ")
    live.sh('mx1', f"rm -rf {work} && mkdir -p {work} && cd {work} && cat > sendmail.mc <<'MAILOPS_EOF'\n"
                   f"{render_mc(policy)}MAILOPS_EOF\n"
                   f"printf %s {shlex.quote(access)} > access && makemap hash access < access && "
                   f"printf %s {shlex.quote(relay)} > relay-domains && m4 sendmail.mc > sendmail.cf && "
                   f"{cw}sed -i 's#/etc/mail/access#{work}/access#; s#/etc/mail/relay-domains#{work}/relay-domains#' "
                   'sendmail.cf')
    # The null sender, which sendmail accepts without a sender check (delay_checks runs
    # check_mail from check_rcpt), so the answer is the relay decision.
    script = (f'.D{{client_addr}}{client_addr}\n.D{{client_name}}{client_name}\n.D{{client_resolve}}OK\n'
              f'.D{{daemon_flags}}\n.D{{mail_from}}<>\n.Df{sender}\ncheck_rcpt <{rcpt}>\n')
    return live.sh('mx1', f'cd {work} && printf %s {shlex.quote(script)} | /usr/sbin/sendmail -C sendmail.cf -bt',
                   check=False, timeout=180).stdout


@pytest.mark.parametrize('form', RELAY_FORMS)
def test_refused_relay_forms_would_relay_for_an_outsider(live, form):
    data, client_addr, client_name, rcpt = RELAY_FORMS[form]
    refused = policy_of(data)
    assert len(refused['errors']) == 1 and 'open relay' in refused['errors'][0], refused['errors']
    opened = policy_of(dict(data, allow_open_relay=True))
    assert opened['errors'] == []
    baseline = policy_of(BASELINES.get(form, {}))
    assert baseline['errors'] == []
    sender, names = SENDERS.get(form, '<>'), LOCAL_NAMES.get(form)
    denied = _bt(live, f'{form}-base'.replace(' ', '_').replace(':', ''), baseline, client_addr, client_name, rcpt,
                 sender, names)
    assert re.search(r'^check_rcpt\s+returns: \$# error .*Relaying denied', denied, re.M), denied
    answer = _bt(live, form.replace(' ', '_').replace(':', ''), opened, client_addr, client_name, rcpt, sender, names)
    verdict = re.findall(r'^check_rcpt\s+returns: (.*)$', answer, re.M)
    assert verdict and '$# error' not in verdict[-1] and 'Relaying denied' not in answer, answer
