"""Corpus (a) "Accepted" (issue #14): the documented examples are accepted, rendered and built.

Every access, virtusertable, mailertable, genericstable, aliases, class-file and mc example of sendmail's cf/README, its
operations guide and the setup guide the product implements (tests/corpus/accepted.yml, each with
its source, section and line) is

* validated by build_policy as the inventory entries that express it,
* rendered on the controller with the role's own templates (access.j2, virtusertable.j2,
  mailertable.j2, genericstable.j2, aliases.j2, class-file.j2 and sendmail.mc.j2; the maps through policy_texts),
* built on the lab host mx1 in a scratch directory (/root/corpus, never /etc/mail): makemap hash
  for access, virtusertable, mailertable and genericstable, newaliases (sendmail -bi -oA<copy>) for aliases, m4 and
  ``sendmail -C cf -bt -d0.1`` for every mc, with no complaint line (the cf_errors pattern of
  roles/sendmail/files/mailops-sendmail),
* and read back: the map dump (makemap -u) and sendmail's own lookups (/map in -bt mode, on a cf
  pointed at the scratch maps) hold each entry as written, the key folded to lower case; the
  class files load into $=R / $=w; the cf holds the text the example is about.

Examples the validator refuses on purpose are asserted refused; documented forms it refuses wrongly
are xfail(strict) with the finding, so they flip when the validator is fixed.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import jinja2
import pytest
import yaml
from ansible.plugins.filter.core import comment

from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import build_policy, policy_texts
from lab import role_vars  # tests/support, on the path through conftest

# The release's own m4, cf tree, makemap and sendmail -bt build every example: run on every release (tests/run.sh).
pytestmark = pytest.mark.releases

ROOT = Path(__file__).resolve().parents[3]
CORPUS = yaml.safe_load((ROOT / 'tests' / 'corpus' / 'accepted.yml').read_text())
SCRATCH = '/root/corpus'
# The lab hosts' sendmail release, as the role gives it to the validator (vars per Debian release).
BASE = {'mode': 'server', 'listen': [{'name': 'MTA-v4', 'port': 25, 'addr': '0.0.0.0'}],
        'sendmail_version': role_vars()['__sendmail_version']}
# roles/sendmail/files/mailops-sendmail, cf_errors: what counts as sendmail's complaint.
COMPLAINT = re.compile(r'line [0-9]+:|unknown|invalid|error|warning|cannot|missing|not defined|illegal', re.I)

_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(str(ROOT / 'roles' / 'sendmail' / 'templates')),
                          keep_trailing_newline=True, trim_blocks=True)
_ENV.filters['comment'] = comment
_COMMON = {'ansible_managed': 'Ansible managed', '__sendmail_conf_dir': '/etc/mail',
           '__sendmail_cf_m4': '/usr/share/sendmail/cf/m4/cf.m4', '__sendmail_ostype': 'debian',
           '__sendmail_domain': 'debian-mta', '__sendmail_aliases_file': '/etc/aliases',
           '__sendmail_map_type': 'hash'}


def render(template: str, policy: dict, **extra) -> str:
    return _ENV.get_template(template).render(
        dict(_COMMON, sendmail_mode=policy.get('__mode', 'server'), __sendmail_policy=policy_texts(policy), **extra))


# --------------------------------------------------------------------------------------------
# The corpus as build_policy input
# --------------------------------------------------------------------------------------------

def _features(example: dict) -> list:
    return list(example.get('features') or [])


def policy_input(kind: str, example: dict) -> dict:
    if kind == 'access':
        data = {'access': [{'key': k, 'action': v} for k, v in example['entries']]}
    elif kind == 'virtusertable':
        data = {'virtusertable': [{'address': k, 'target': v} for k, v in example['entries']]}
    elif kind == 'mailertable':
        data = {'mailertable': [{'domain': k, 'route': v} for k, v in example['entries']]}
    elif kind == 'genericstable':
        data = {'genericstable': [{'address': k, 'target': v} for k, v in example['entries']],
                'generics_domains': list(example.get('generics_domains') or [])}
    elif kind == 'aliases':
        data = {'aliases': [{'name': k, 'members': v} for k, v in example['entries']]}
        if example.get('allow_files'):
            data['aliases_allow_files'] = True
    elif kind == 'classes':
        data = {example['variable']: list(example['entries'])}
    else:
        data = dict(example['policy'])
    if _features(example):
        data['features'] = _features(example)
    return dict(BASE, **data)


def validate(kind: str, example: dict) -> dict:
    policy = build_policy(policy_input(kind, example))
    policy['__mode'] = policy_input(kind, example).get('mode', 'server')
    return policy


def cases(kind: str):
    out = []
    for example in CORPUS[kind]:
        marks = [pytest.mark.xfail(strict=True, reason=example['xfail'])] if example.get('xfail') else []
        out.append(pytest.param(example, id=example['id'], marks=marks))
    return out


def _expected_refusal(example: dict) -> str | None:
    return example.get('refused')


# --------------------------------------------------------------------------------------------
# Building on mx1: one batched host run for the whole corpus
# --------------------------------------------------------------------------------------------

# Runs on mx1. stdin: {"scratch": dir, "items": [{id, files, map, mc, lookups, classes}]}.
# For each item, in SCRATCH/<id>: writes the files, builds the map (makemap hash / sendmail -bi
# -oA), dumps it (makemap -u hash), builds the mc (m4), points the cf at the scratch maps and
# class files, records sendmail's complaints (-bt -d0.1) and runs the /map lookups and $=X
# class listings in -bt mode.
_HOST = r'''
import json, os, re, shutil, subprocess, sys
job = json.load(sys.stdin)
SCRATCH = job["scratch"]
shutil.rmtree(SCRATCH, ignore_errors=True)
os.makedirs(SCRATCH)
def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)
    return {"rc": r.returncode, "out": r.stdout, "err": r.stderr}
out = {}
for item in job["items"]:
    d = os.path.join(SCRATCH, item["id"])
    os.makedirs(d)
    res = out[item["id"]] = {}
    for name, text in item["files"].items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    m = item.get("map")
    if m in ("access", "virtusertable", "mailertable", "genericstable"):
        with open(os.path.join(d, m)) as src:
            res["build"] = run(["makemap", "hash", os.path.join(d, m)], stdin=src)
    elif m == "aliases":
        res["build"] = run(["/usr/sbin/sendmail", "-bi", "-oA" + os.path.join(d, m)])
    if m:
        res["dump"] = run(["makemap", "-u", "hash", os.path.join(d, m)])
    if item.get("mc"):
        mc, cf = os.path.join(d, "sendmail.mc"), os.path.join(d, "sendmail.cf")
        with open(mc, "w") as f:
            f.write(item["mc"])
        with open(cf, "w") as f:
            r = subprocess.run(["m4", mc], stdout=f, stderr=subprocess.PIPE, text=True, timeout=120)
        res["m4"] = {"rc": r.returncode, "err": r.stderr}
        text = open(cf).read()
        for name in ("access", "virtusertable", "mailertable", "genericstable", "relay-domains", "local-host-names"):
            if os.path.exists(os.path.join(d, name)):
                text = text.replace("/etc/mail/" + name, os.path.join(d, name))
        with open(cf, "w") as f:
            f.write(text)
        res["cf"] = text
        res["check"] = run(["sh", "-c", '/usr/sbin/sendmail -C "$1" -bt -d0.1 </dev/null 2>&1', "-", cf])
        script = "".join("/map %s %s\n" % ({"virtusertable": "virtuser", "genericstable": "generics"}.get(m, m), key)
                         for key in item.get("lookups", []))
        script += "".join("$=%s\n" % c for c in item.get("classes", []))
        if script:
            res["bt"] = run(["/usr/sbin/sendmail", "-C", cf, "-bt"], input=script)
print(json.dumps(out))
'''


def _item(kind: str, example: dict, policy: dict) -> dict:
    item = {'id': f'{kind}-{example["id"]}', 'files': {}, 'mc': render('sendmail.mc.j2', policy)}
    if kind == 'access':
        item.update(map='access', lookups=[k for k, _value in example['entries']])
        item['files']['access'] = render('access.j2', policy)
    elif kind == 'virtusertable':
        item.update(map='virtusertable', lookups=[k for k, _value in example['entries']])
        item['files']['virtusertable'] = render('virtusertable.j2', policy)
    elif kind == 'mailertable':
        item.update(map='mailertable', lookups=[k for k, _value in example['entries']])
        item['files']['mailertable'] = render('mailertable.j2', policy)
    elif kind == 'genericstable':
        item.update(map='genericstable', lookups=[k for k, _value in example['entries']])
        item['files']['genericstable'] = render('genericstable.j2', policy)
    elif kind == 'aliases':
        item['map'] = 'aliases'
        item['files']['aliases'] = render('aliases.j2', policy)
    elif kind == 'classes':
        name, cls = {'relay_domains': ('relay-domains', 'R'), 'local_host_names': ('local-host-names', 'w')}[
            example['variable']]
        item['files'][name] = render('class-file.j2', policy, __sendmail_class_names=policy[example['variable']])
        item['classes'] = [cls]
    return item


@pytest.fixture(scope='module')
def built(live):
    """Every example the validator accepts, built on mx1 in one host run: {item id: results}."""
    items = []
    for kind in ('access', 'virtusertable', 'mailertable', 'genericstable', 'aliases', 'classes', 'mc'):
        for example in CORPUS[kind]:
            policy = validate(kind, example)
            if not policy['errors']:
                items.append(_item(kind, example, policy))
    res = subprocess.run(['podman', 'exec', '-i', live.container('mx1'), 'python3', '-c', _HOST],
                         input=json.dumps({'scratch': SCRATCH, 'items': items}), capture_output=True, text=True,
                         env=live.env, timeout=1200, check=False)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout)


def _result(built: dict, kind: str, example: dict) -> dict:
    key = f'{kind}-{example["id"]}'
    assert key in built, f'{key} was not built'
    return built[key]


# m4's warnings for the relay-widening FEATUREs, which the validator lets through only with
# sendmail_allow_open_relay (the role's helper leaves them out of its complaint check the same way).
_RELAY_WARNING = re.compile(r"^\*\*\* WARNING: FEATURE\(`(?:promiscuous_relay|relay_local_from|relay_mail_from)'\).*\n"
                            r'(?:\t.*\n?)*', re.M)


def _assert_mc_builds(result: dict, where: str) -> None:
    err = _RELAY_WARNING.sub('', result['m4']['err'])
    assert result['m4']['rc'] == 0 and err == '', (where, result['m4'])
    complaints = [line for line in result['check']['out'].splitlines() if COMPLAINT.search(line)]
    assert complaints == [], (where, complaints)
    assert re.search(r'^Sparse=0\s*$', result['cf'], re.M) and '\nMlocal,' in result['cf'], where


def _dump(result: dict) -> dict[str, str]:
    """makemap -u: one 'key<TAB>value' line per entry."""
    assert result['dump']['rc'] == 0, result['dump']
    pairs = [line.split('\t', 1) for line in result['dump']['out'].splitlines()]
    return {pair[0]: pair[1] if len(pair) > 1 else '' for pair in pairs}


def _answers(entries) -> dict[str, str]:
    """What sendmail's /map answers for each entry: the value with the %n of the RHS replaced by
    the (empty) arguments of a lookup without a rule."""
    return {key.lower(): re.sub(r'%[0-9]', '', value) for key, value in entries}


def _lookups(result: dict) -> dict[str, str]:
    """sendmail -bt /map answers: {key as asked, lower case: value}."""
    found = {}
    for key, value in re.findall(r'^(?:> )?map_lookup: \S+ \((.*)\) returns (.*) \(\d+\)$', result['bt']['out'], re.M):
        found[key.lower()] = value
    return found


def _release(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in str(text).split('.'))


def _expect(example: dict) -> list[str]:
    """The cf texts of an mc example on the lab's sendmail release (expect, or the newest expect_since the
    release has reached)."""
    texts = example.get('expect', [])
    for since, since_texts in sorted((example.get('expect_since') or {}).items(), key=lambda item: _release(item[0])):
        if _release(BASE['sendmail_version']) >= _release(since):
            texts = since_texts
    return texts


def _refusal(kind: str, example: dict) -> None:
    policy = validate(kind, example)
    assert policy['errors'], 'accepted, but the corpus records a refusal by design'
    assert all(example['refused'] in error for error in policy['errors']), policy['errors']


# --------------------------------------------------------------------------------------------
# The tests: one per example
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize('example', cases('access'))
def test_access_example_builds(built, example):
    policy = validate('access', example)
    assert policy['errors'] == []
    assert [(e['key'], e['action']) for e in policy['access']] == [tuple(e) for e in example['entries']]
    result = _result(built, 'access', example)
    assert result['build']['rc'] == 0 and result['build']['err'] == '', result['build']
    dump = _dump(result)
    expected = {key.lower(): value for key, value in example['entries']}
    assert dump == expected
    _assert_mc_builds(result, example['id'])
    assert _lookups(result) == _answers(example['entries']), result['bt']['out']


@pytest.mark.parametrize('example', cases('virtusertable'))
def test_virtusertable_example_builds(built, example):
    policy = validate('virtusertable', example)
    assert policy['errors'] == []
    result = _result(built, 'virtusertable', example)
    assert result['build']['rc'] == 0 and result['build']['err'] == '', result['build']
    expected = {address.lower(): target for address, target in example['entries']}
    assert _dump(result) == expected
    _assert_mc_builds(result, example['id'])
    assert _lookups(result) == _answers(example['entries']), result['bt']['out']


@pytest.mark.parametrize('example', cases('mailertable'))
def test_mailertable_example_builds(built, example):
    if _expected_refusal(example):
        _refusal('mailertable', example)
        return
    policy = validate('mailertable', example)
    assert policy['errors'] == []
    result = _result(built, 'mailertable', example)
    assert result['build']['rc'] == 0 and result['build']['err'] == '', result['build']
    expected = {domain.lower(): route for domain, route in example['entries']}
    assert _dump(result) == expected
    _assert_mc_builds(result, example['id'])
    assert _lookups(result) == _answers(example['entries']), result['bt']['out']


@pytest.mark.parametrize('example', cases('genericstable'))
def test_genericstable_example_builds(built, example):
    policy = validate('genericstable', example)
    assert policy['errors'] == []
    result = _result(built, 'genericstable', example)
    assert result['build']['rc'] == 0 and result['build']['err'] == '', result['build']
    assert _dump(result) == {address.lower(): target for address, target in example['entries']}
    _assert_mc_builds(result, example['id'])
    assert _lookups(result) == _answers(example['entries']), result['bt']['out']


def _members(value) -> list[str]:
    items = value if isinstance(value, list) else value.split(',')
    return [item.strip() for item in items]


@pytest.mark.parametrize('example', cases('aliases'))
def test_aliases_example_builds(built, example):
    if _expected_refusal(example):
        _refusal('aliases', example)
        return
    policy = validate('aliases', example)
    assert policy['errors'] == []
    result = _result(built, 'aliases', example)
    build = result['build']
    assert build['rc'] == 0 and not COMPLAINT.search(build['out'] + build['err']), build
    dump = _dump(result)
    assert dump.pop('@') == '@'   # newaliases' end-of-build mark
    expected = {'mailer-daemon': ['postmaster'], 'postmaster': ['root']}
    # 'built' when sendmail's database holds an entry in another spelling than the document's
    expected.update({name.lower(): _members(members) for name, members in example.get('built', example['entries'])})
    assert {name: _members(value) for name, value in dump.items()} == expected
    _assert_mc_builds(result, example['id'])


@pytest.mark.parametrize('example', cases('classes'))
def test_class_file_example_loads(built, example):
    policy = validate('classes', example)
    assert policy['errors'] == []
    result = _result(built, 'classes', example)
    _assert_mc_builds(result, example['id'])
    lines = [line[2:] if line.startswith('> ') else line for line in result['bt']['out'].splitlines()]
    members = {line.strip().lower() for line in lines
               if line.strip() and line.strip() != '>' and not line.startswith(('ADDRESS TEST', 'Enter <'))}
    assert {entry.lower() for entry in example['entries']} <= members, result['bt']['out']


@pytest.mark.parametrize('example', cases('mc'))
def test_mc_example_builds(built, example):
    if _expected_refusal(example):
        _refusal('mc', example)
        return
    if example.get('refused_without_opt_in'):
        closed = dict(example, policy={k: v for k, v in example['policy'].items() if k != 'allow_open_relay'})
        errors = validate('mc', closed)['errors']
        assert errors and all(example['refused_without_opt_in'] in error for error in errors), errors
    policy = validate('mc', example)
    assert policy['errors'] == []
    result = _result(built, 'mc', example)
    if example.get('host_refuses'):
        complaints = [line for line in result['check']['out'].splitlines() if COMPLAINT.search(line)]
        assert complaints and all(example['host_refuses'] in line for line in complaints), complaints
        return
    _assert_mc_builds(result, example['id'])
    body = '\n'.join(line for line in result['cf'].splitlines() if not line.startswith('#'))
    for text in _expect(example):
        assert text in body, (text, [line for line in body.splitlines() if text.split()[0][:8] in line][:10])


def test_corpus_is_complete():
    """The corpus holds every documented example it claims (a guard against losing entries)."""
    kinds = ('access', 'virtusertable', 'mailertable', 'genericstable', 'aliases', 'classes', 'mc')
    counts = {kind: sum(len(e['entries']) for e in CORPUS[kind]) for kind in kinds if kind != 'mc'}
    counts['mc'] = len(CORPUS['mc'])
    assert counts == {'access': 81, 'virtusertable': 17, 'mailertable': 10, 'genericstable': 2, 'aliases': 15,
                      'classes': 8, 'mc': 59}, counts
    ids = [(kind, e['id']) for kind in kinds for e in CORPUS[kind]]
    assert len(ids) == len(set(ids))
    for kind in kinds:
        for example in CORPUS[kind]:
            assert example['source'] in CORPUS['sources'] and example['line'] > 0 and example['section'], example
