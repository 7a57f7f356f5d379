# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""relay-domains, local-host-names, the DNSBL list, virtusertable, mailertable, genericstable, aliases and list
files."""

from __future__ import annotations

import ipaddress
import posixpath
import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.mailops.sendmail.plugins.plugin_utils._grammar import (
    _ACCOUNT_RE,
    _ADDRESS_RE,
    _IPV6_PREFIX_RE,
    _LOCAL_NAME_RE,
    _LOCAL_PART_RE,
    _MODE_RE,
    _Options,
    _PLAIN_MEMBER_RE,
    _TARGET_LOCAL_RE,
    _address_problem,
    _char_list,
    _hostname_problem,
    _kind,
    _path_problem,
    _strip_dot,
    _whitespace,
)
from ._m4 import macro_word, quote_problem, text_quoted
from ._relay import OPEN_RELAY, relay_domain_problem


def _domain_key(name: str) -> tuple[str, str | None]:
    folded = _strip_dot(name).lower()
    return folded, _hostname_problem(folded)


def _domain_build(entry: Mapping, key: str, opts: _Options) -> tuple[Any, list[str]]:
    return key, []


def _relay_domain_key(name: str) -> tuple[str, str | None]:
    """A class R entry: a domain, an IPv4 network, an IPv6: network, or [UNIX:localhost] (cf/README)."""
    if name[:5].lower() == 'ipv6:':
        text = name[5:].lower()
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            if not _IPV6_PREFIX_RE.match(text):
                return 'IPv6:' + text, f"{name!r} is not an IPv6 address or prefix after 'IPv6:'"
        return 'IPv6:' + text, None
    if name.lower() == '[unix:localhost]':
        return '[UNIX:localhost]', None
    return _domain_key(name)


def _relay_domain_build(entry: Mapping, key: str, opts: _Options) -> tuple[Any, list[str]]:
    problem = None if opts.allow_open_relay else relay_domain_problem(entry['name'])
    return key, [f"relaying for {entry['name']!r}: {problem}: it {OPEN_RELAY}"] if problem else []


def _zone_key(zone: str) -> tuple[str, str | None]:
    folded = _strip_dot(zone).lower()
    problem = _hostname_problem(folded, min_labels=2)
    word = None if problem else macro_word(folded)
    if word:
        problem = f"the zone has the word {word!r}, an m4 macro that would run while sendmail.cf is built"
    return folded, problem


# $&{name}: a sendmail macro read when the rule runs (client_addr, client_name, ...).
_DNSBL_MACRO_RE = re.compile(r'(\$&\{[a-z_]+\})')
_DNSBL_REPLY_RE = re.compile(r'([0-9]{3})(?: ([0-9]\.[0-9]{1,3}\.[0-9]{1,3}))?(?= |\Z)')
_DNSBL_ACTIONS = ('discard', 'quarantine')
_ESCAPE_RE = re.compile(r'\\[!#-\[\]-~]')


def _dnsbl_message_problem(message: str) -> str | None:
    problem = quote_problem(message)
    if problem:
        return problem
    # A backslash escapes the next character in sendmail's quoted string (cf/README's \#); one
    # at the end would escape the closing quote.
    bad = [ch for ch in _ESCAPE_RE.sub('', message) if ch in '"\\\t' or not (ch.isascii() and ch.isprintable())]
    if bad:
        return (f'contains {_char_list(bad)}: sendmail writes the text as its own quoted string, '
                'which cannot hold these')
    if '$' in _DNSBL_MACRO_RE.sub('', message):
        return "has a '$' that is not part of a macro such as $&{client_addr} or $&{client_name}"
    reply = _DNSBL_REPLY_RE.match(message)
    if reply and reply.group(1)[0] not in '45':
        return f'starts with the reply code {reply.group(1)}; a rejection has a 4xx or 5xx code (or none)'
    if reply and reply.group(2) and reply.group(2)[0] != reply.group(1)[0]:
        return f'has the status {reply.group(2)}, which does not match its reply code {reply.group(1)}'
    return None


def _dnsbl_build(entry: Mapping, key: str, opts: _Options) -> tuple[Any, list[str]]:
    """The message: empty for the default text, discard or quarantine (cf/README's two
    operations), or a text with or without a reply code and DSN, e.g. '550 5.7.1 Listed'."""
    message = entry.get('message')
    if message is None or message == '':
        message = f'550 5.7.1 Rejected: $&{{client_addr}} listed at {key}'
    if not isinstance(message, str):
        return None, [f"'message' must be a string, got {_kind(message)}"]
    if message in _DNSBL_ACTIONS:
        return {'zone': key, 'message': message, 'mc': f'`{message}\''}, []
    problem = _dnsbl_message_problem(message)
    if problem:
        return None, [f'message {message!r} {problem}']
    parts = [part for part in _DNSBL_MACRO_RE.split(message) if part]
    text = ' '.join(part if _DNSBL_MACRO_RE.fullmatch(part) else f'"{part}"' for part in parts)
    # Quoted twice: dnsbl.m4 expands the message inside len() and ifelse(), once.
    return {'zone': key, 'message': message, 'mc': text_quoted(text)}, []


# --------------------------------------------------------------------------
# virtusertable
# --------------------------------------------------------------------------

_SYSEXITS = ('nouser', 'nohost', 'unavailable', 'tempfail', 'noperm', 'config', 'dataerr',
             'usage', 'protocol', 'software', 'oserr', 'osfile', 'cantcreat', 'ioerr', 'noinput')
_VIRTUSER_ERROR_RE = re.compile(
    rf'error:(?:{"|".join(_SYSEXITS)}|[45]\.[0-9]{{1,3}}\.[0-9]{{1,3}}:[45][0-9][0-9]|[45][0-9][0-9])'
    r'(?: [^\n\r\t]*)?\Z', re.IGNORECASE)


def _virtuser_key(address: str) -> tuple[str, str | None]:
    folded = address.lower()
    if _ADDRESS_RE.match(folded):
        return folded, None
    if '@' not in folded:
        return folded, f"address {address!r} must be 'user@domain' or '@domain' (catch-all)"
    if folded.startswith('@'):
        problem = _hostname_problem(folded[1:])
        return folded, f'domain of {address!r}: {problem}' if problem else None
    return folded, _address_problem(folded)


def _virtuser_target_problem(target: str) -> str | None:
    if _LOCAL_NAME_RE.match(target) or _ADDRESS_RE.match(target):
        return None
    if target[:6].lower() == 'error:':
        if _VIRTUSER_ERROR_RE.match(target):
            return None
        return (f'target {target!r}: error: needs a sysexits name ({", ".join(_SYSEXITS)}), '
                "'D.S.N:NNN' or 'NNN', then optional text, e.g. 'error:nouser User unknown'")
    if _whitespace(target):
        return f'target {target!r} contains whitespace'
    if target.startswith(('|', '/', ':include:')):
        return f'target {target!r}: programs, files and :include: are not allowed in the virtusertable'
    if '@' in target:
        problem = _address_problem(target, _TARGET_LOCAL_RE)
        return f'target {target!r}: {problem}' if problem else None
    if '%' in target and _TARGET_LOCAL_RE.match(target):
        return None
    return f'target {target!r} is not a local user, an address or error:...'


def _virtuser_build(entry: Mapping, key: str, opts: _Options) -> tuple[Any, list[str]]:
    target = entry['target']
    if not isinstance(target, str):
        return None, [f"'target' must be a string, got {_kind(target)}"]
    problem = _virtuser_target_problem(target)
    return {'address': key, 'target': target}, [problem] if problem else []


# --------------------------------------------------------------------------
# mailertable (cf/README: FEATURES mailertable, USING MAILERTABLES)
# --------------------------------------------------------------------------

# The mailers of the role's mc (MAILER(`local'), MAILER(`smtp')) and the error mailer sendmail always has.
# MAILER(`name') lines in sendmail_mc_extra_lines add theirs (mailertable_cross_errors).
MC_MAILERS = ('local', 'prog', 'smtp', 'esmtp', 'smtp8', 'dsmtp', 'relay', 'error')
# What MAILER(`name') defines, as cf/mailer/*.m4 names its M lines.
MAILER_NAMES = {
    'local': ('local', 'prog'), 'smtp': ('smtp', 'esmtp', 'smtp8', 'dsmtp', 'relay'),
    'uucp': ('uucp', 'uucp-old', 'uucp-new', 'uucp-dom', 'uucp-uudom'), 'procmail': ('procmail',),
    'cyrus': ('cyrus', 'cyrusbb'), 'cyrusv2': ('cyrusv2',), 'fax': ('fax',), 'pop': ('pop',),
    'qpage': ('qpage',), 'usenet': ('usenet',), 'mail11': ('mail11',), 'phquery': ('ph',),
}
_MAILER_RE = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.-]*\Z')
_MAILERTABLE_ERROR_RE = re.compile(r'(?:[45]\.[0-9]{1,3}\.[0-9]{1,3}:)?[45][0-9][0-9](?: [^\n\r\t]*)?\Z')
_SMTP_FAMILY = MAILER_NAMES['smtp']


def _mailertable_key(domain: str) -> tuple[str, str | None]:
    """A host name, a domain with a leading dot (its subdomains), or '.' alone (every domain no other
    key covers)."""
    folded = domain.lower()
    if folded == '.':
        return folded, None
    name = folded[1:] if folded.startswith('.') else folded
    problem = _hostname_problem(name)
    if problem:
        return folded, (f'{domain!r} must be a host name, a domain with a leading dot for its subdomains, '
                        f"or '.' for every other domain: {problem}")
    return folded, None


def _mailertable_host_problem(host: str, domain: str) -> str | None:
    """Why ``host`` (after an SMTP mailer) is not a host name, [host] or [address], or None."""
    if host.startswith('[') and host.endswith(']'):
        inner = host[1:-1]
        if inner[:5].lower() == 'ipv6:':
            try:
                ipaddress.IPv6Address(inner[5:])
                return None
            except ValueError:
                return f'{inner!r} is not an IPv6 address'
        try:
            ipaddress.IPv4Address(inner)
            return None
        except ValueError:
            if re.fullmatch(r'[0-9.]+', inner):
                return f'{inner!r} is not an IPv4 address'
        return _hostname_problem(_strip_dot(inner))
    if '%1' in host:
        if not domain.startswith('.') or domain == '.':
            return "'%1' (the wildcarded part of the name) only means something in a key with a leading dot"
        host = host.replace('%1', 'x')
    if ':' in host:
        return 'a port is not part of a mailertable entry (the mailer says where to connect)'
    return _hostname_problem(_strip_dot(host))


def _mailertable_build(entry: Mapping, key: str, opts: _Options) -> tuple[Any, list[str]]:
    """'mailer:host' (cf/README); 'local:user', 'local:', 'error:[D.S.N:]NNN text'."""
    route = entry['route']
    if not isinstance(route, str):
        return None, [f"'route' must be a string, got {_kind(route)}"]
    mailer, colon, rest = route.partition(':')
    if not colon or not _MAILER_RE.match(mailer):
        return None, [f"route {route!r} must be 'mailer:host' (e.g. 'esmtp:[mail.example.com]'), "
                      "'local:user' or 'error:550 text'"]
    mailer = mailer.lower()
    if mailer == 'error':
        if _MAILERTABLE_ERROR_RE.match(rest):
            return {'domain': key, 'route': route, 'mailer': mailer}, []
        return None, [f"route {route!r}: error: needs an SMTP reply code, optionally after a D.S.N: status, "
                      "then the text, e.g. 'error:5.7.1:550 No mail for this domain'"]
    spaces = _whitespace(rest)
    if spaces:
        return None, [f'route {route!r} contains whitespace ({_char_list(spaces)})']
    if mailer == 'local':
        if rest and not _LOCAL_NAME_RE.match(rest):
            return None, [f"route {route!r}: 'local:' takes a local user name or nothing (the recipient's own)"]
        return {'domain': key, 'route': route, 'mailer': mailer}, []
    if mailer == 'prog':
        return None, [f"route {route!r}: the prog mailer runs programs; route to an SMTP host or a local user"]
    if not rest:
        return None, [f"route {route!r} names no host after '{mailer}:'"]
    if mailer in _SMTP_FAMILY:
        problem = _mailertable_host_problem(rest, key)
        if problem:
            return None, [f'route {route!r}: {problem}']
    elif '%1' in rest and (not key.startswith('.') or key == '.'):
        return None, [f"route {route!r}: '%1' only means something in a key with a leading dot"]
    return {'domain': key, 'route': route, 'mailer': mailer}, []


_MC_MAILER_RE = re.compile(r"\bMAILER\(\s*`?([A-Za-z0-9_]+)'?\s*\)")


def mailertable_cross_errors(entries: list, mc_extra_lines: list, local_host_names: list) -> list[str]:
    """Routes through a mailer the mc does not define (sendmail would bounce the mail: unknown mailer),
    and keys that are local host names (class w: sendmail delivers those locally and never reads them)."""
    mailers = set(MC_MAILERS)
    for line in mc_extra_lines:
        for name in _MC_MAILER_RE.findall(line):
            mailers.update(MAILER_NAMES.get(name, (name,)))
    local = set(local_host_names)
    errors = []
    for entry in entries:
        if entry['mailer'] not in mailers:
            errors.append(f"sendmail_mailertable (domain {entry['domain']!r}): the mailer {entry['mailer']!r} is "
                          f"not defined in the mc (its mailers: {', '.join(sorted(mailers - {'prog'}))}); add its MAILER() "
                          'to sendmail_mc_extra_lines or route through one of them')
        if entry['domain'] in local:
            errors.append(f"sendmail_mailertable (domain {entry['domain']!r}): a local host name "
                          '(sendmail_local_host_names): sendmail delivers its mail locally and never reads this entry')
    return errors


# --------------------------------------------------------------------------
# genericstable (cf/README: FEATURES genericstable, generics_entire_domain)
# --------------------------------------------------------------------------

# A key's local part: an RFC 5322 dot-atom ('user', 'user+*' for any +detail); a value's may hold %1.
_GENERICS_PERCENT_RE = re.compile(r'%(.?)')


def _genericstable_key(address: str) -> tuple[str, str | None]:
    """'user', 'user@domain' or '@domain' (cf/README: the full address, then '@domain', then the user
    name are looked up); 'user+*' and 'user+*@domain' match any +detail. makemap folds keys to lower
    case, so the merge key is folded too."""
    folded = address.lower()
    local, at, domain = folded.rpartition('@') if '@' in folded else (folded, '', '')
    if (at and domain == '') or not (local or at):
        return folded, f"address {address!r} must be 'user', 'user@domain' or '@domain'"
    if local and not _LOCAL_PART_RE.match(local):
        return folded, (f"address {address!r} must be 'user', 'user@domain' or '@domain': the user part "
                        f'{local!r} is not an RFC 5322 dot-atom (no spaces, quotes, %, |)')
    if at:
        if domain.endswith('.'):
            return folded, (f'domain of {address!r} ends in a dot: sendmail looks the address up without it, '
                            'so this key would never match')
        problem = _hostname_problem(domain)
        if problem:
            return folded, f'domain of {address!r}: {problem}'
    return folded, None


def _genericstable_build(entry: Mapping, key: str, opts: _Options) -> tuple[Any, list[str]]:
    """The new address: 'user' (qualified with $j or the masquerade name) or 'user@domain'; '%1' stands
    for the local part under an '@domain' key and for the +detail under a 'user+*' key."""
    target = entry['target']
    if not isinstance(target, str):
        return None, [f"'target' must be a string, got {_kind(target)}"]
    if _whitespace(target):
        return None, [f'target {target!r} contains whitespace ({_char_list(_whitespace(target))})']
    local, at, domain = target.rpartition('@') if '@' in target else (target, '', '')
    bad = sorted({'%' + m for m in _GENERICS_PERCENT_RE.findall(local) if m != '1'})
    if bad:
        return None, [f"target {target!r}: {', '.join(bad)}: only %1 is passed to the genericstable lookup"]
    if '%1' in local and not (key.startswith('@') or key.split('@')[0].endswith('+*')):
        return None, [f"target {target!r}: '%1' only means something under an '@domain' key (the user name) "
                      "or a 'user+*' key (the +detail)"]
    if not local or not _LOCAL_PART_RE.match(local.replace('%1', 'x')):
        return None, [f"target {target!r} must be an address, 'user' or 'user@domain' (programs, files, "
                      'error: and :include: are not genericstable values)']
    if at:
        problem = _hostname_problem(_strip_dot(domain))
        if problem:
            return None, [f'target {target!r}: domain: {problem}']
    return {'address': key, 'target': target}, []


def _in_class(domain: str, names: list, entire: bool) -> bool:
    return domain in names or (entire and any(domain.endswith('.' + name) for name in names))


def genericstable_cross_errors(entries: list, generics_domains: list, entire_domain: bool) -> list[str]:
    """Entries sendmail would never look up: it looks an address up only when its domain is in class G
    (sendmail_generics_domains; with generics_entire_domain their subdomains too). Unqualified addresses
    are looked up too, but the MSP qualifies every address it submits (cf/README), so a table without
    any generics domain is refused whole."""
    if not entries:
        return []
    if not generics_domains:
        return ['sendmail_genericstable: has entries but sendmail_generics_domains is empty: sendmail looks up '
                'only addresses whose domain is in class G, and the MSP qualifies every address it submits with '
                "the host's name (cf/README, genericstable); list the sender domains to rewrite, e.g. this "
                "host's FQDN"]
    names = [_strip_dot(name).lower() for name in generics_domains]
    errors = []
    for entry in entries:
        domain = _strip_dot(entry['address'].rpartition('@')[2]) if '@' in entry['address'] else ''
        if domain and not _in_class(domain, names, entire_domain):
            errors.append(f"sendmail_genericstable (address {entry['address']!r}): the domain {domain!r} is not in "
                          'sendmail_generics_domains (class G; with sendmail_generics_entire_domain, their '
                          'subdomains too): sendmail never looks this entry up')
    return errors


# --------------------------------------------------------------------------
# aliases and alias_files (members)
# --------------------------------------------------------------------------

_REQUIRED_ALIASES = {'mailer-daemon': ['postmaster'], 'postmaster': ['root']}
_LIST_FILE_REFUSAL = 'only local users and addresses are allowed in an :include: list file'
# Member kind -> None when allowed, else why it is refused.
_LIST_FILE_MEMBERS = {'local': None, 'address': None, 'include': _LIST_FILE_REFUSAL,
                      'file': _LIST_FILE_REFUSAL, 'program': _LIST_FILE_REFUSAL}


def _flatten(value: Any, out: list[Any]) -> list[Any]:
    if isinstance(value, (list, tuple)):
        for item in value:
            _flatten(item, out)
    else:
        out.append(value)
    return out


def _classify_member(member: str) -> tuple[str, str, str | None]:
    """(kind, rendered member, problem) for one alias member."""
    if not member:
        return 'local', member, 'empty member'
    if member.startswith(('"|', '":include:')) and member.endswith('"') and len(member) > 2:
        member = member[1:-1]  # the quoted forms sendmail takes for programs and includes
    if member.startswith('|'):
        bad = [ch for ch in member if ch in '"\n\r\t']
        if len(member) == 1 or bad:
            return 'program', member, 'a program member needs a command without double quotes, tabs or newlines'
        return 'program', f'"{member}"', None
    if '\n' in member or '\r' in member:
        return 'local', member, 'contains a newline'
    if ',' in member:
        return 'local', member, 'contains a comma; commas separate members, list each member separately'
    if member.startswith(':include:'):
        return 'include', member, _path_problem(member[9:])
    if ':' in member:
        return 'local', member, "contains a colon (only ':include:/path' members may)"
    if _whitespace(member):
        return 'local', member, 'contains whitespace (only program members may)'
    if member.startswith('/'):
        return 'file', member, _path_problem(member)
    if '@' in member:
        return 'address', member, _address_problem(member)
    name = member[1:] if member.startswith('\\') else member
    if _LOCAL_NAME_RE.match(name):
        return 'local', member, None
    return 'local', member, 'not a valid local user or alias name'


def _members(value: Any, rules: Mapping[str, str | None]) -> tuple[list[str], list[str]]:
    """Flatten and check members; ``rules`` maps each member kind to None
    (allowed) or the reason it is refused."""
    if isinstance(value, str):
        items = value.split(',')
    elif isinstance(value, (list, tuple)):
        items = value if all(isinstance(item, str) for item in value) else _flatten(value, [])
    else:
        return [], [f"'members' must be a list or a comma-separated string, got {_kind(value)}"]
    members, problems = [], []
    for item in items:
        if not isinstance(item, str):
            problems.append(f'member {item!r} must be a string, got {_kind(item)}')
            continue
        item = item.strip()
        if _PLAIN_MEMBER_RE.match(item):  # a local name or an address: allowed everywhere
            members.append(item)
            continue
        kind, rendered, problem = _classify_member(item)
        problem = problem or rules[kind]
        if problem:
            problems.append(f'member {item!r}: {problem}')
        members.append(rendered)
    if not items:
        problems.append('needs at least one member')
    return members, problems


def _alias_key(name: str) -> tuple[str, str | None]:
    folded = name.lower()
    if _LOCAL_NAME_RE.match(folded):
        return folded, None
    return folded, ('not a valid alias name: letters, digits and . _ + - only, '
                    'starting with a letter or digit (no spaces, colons or newlines)')


def _alias_build(entry: Mapping, key: str, opts: _Options) -> tuple[Any, list[str]]:
    members, problems = _members(entry['members'], opts.member_rules)
    return {'name': key, 'members': members, 'line': f'{key}: {",".join(members)}'}, problems


def _with_required_aliases(aliases: list[dict]) -> list[dict]:
    present = {alias['name'] for alias in aliases}
    added = [{'name': name, 'members': list(members), 'line': f'{name}: {",".join(members)}'}
             for name, members in _REQUIRED_ALIASES.items() if name not in present]
    return added + aliases


# What sendmail, Debian's and Red Hat's packaging and this role keep in /etc/mail: a list file there must not
# take one of these names (or a built file's suffix) or live in one of these directories.
_MAIL_DIR_FILES = frozenset((
    'access', 'aliases', 'virtusertable', 'relay-domains', 'local-host-names', 'mailertable', 'genericstable',
    'domaintable', 'authinfo', 'helpfile', 'statistics', 'trusted-users', 'sendmail.conf', 'service.switch',
    'service.switch-nodns', 'Makefile', 'address.resolve', 'sendmail.mc', 'sendmail.cf', 'submit.mc',
    'submit.cf', 'databases', 'dialup.m4', 'provider.m4', 'make'))
_MAIL_DIR_SUFFIXES = ('.db', '.cf', '.mc', '.m4', '.previous', '.failed', '.new', '.restore', '.pid', '.dir', '.pag')
_MAIL_DIR_SUBDIRS = ('tls', 'sasl', 'smrsh', 'm4', 'peers', 'spamassassin', 'certs')
_ROLE_FILES = frozenset(('/etc/aliases', '/etc/aliases.db', '/usr/local/sbin/mailops-sendmail'))
# Where other programs keep their files (and users their homes): never a list file there.
_OTHER_PLACES = (
    '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/usr', '/boot', '/dev', '/proc', '/sys', '/run',
    '/tmp', '/var/tmp', '/home', '/root', '/var/log', '/var/cache', '/var/backups', '/var/mail', '/var/spool',
    '/var/lib/dpkg', '/var/lib/apt', '/var/lib/mailops-sendmail', '/var/run', '/var/lock', '/etc/ssh', '/etc/ssl',
    '/etc/pam.d', '/etc/sudoers.d', '/etc/security', '/etc/systemd', '/etc/init.d', '/etc/default', '/etc/apt',
    '/etc/dpkg', '/etc/cron.d', '/etc/cron.daily', '/etc/cron.hourly', '/etc/cron.weekly', '/etc/cron.monthly',
    '/etc/profile.d', '/etc/sysctl.d', '/etc/modprobe.d', '/etc/logrotate.d', '/etc/rsyslog.d', '/etc/network',
    '/etc/udev', '/etc/selinux', '/etc/alternatives', '/etc/skel', '/etc/sasl2', '/etc/ld.so.conf.d',
    '/etc/polkit-1', '/etc/dbus-1', '/etc/pki', '/etc/sysconfig', '/etc/yum.repos.d', '/etc/letsencrypt',
    '/etc/opendkim', '/var/lib/rpm', '/var/lib/dnf', '/etc/dnf')
_USR_LOCAL_OK = ('/usr/local/etc/', '/usr/local/share/')
_LIST_PLACES = 'e.g. /etc/mail/lists/, /etc/mail-lists/, /srv/mail-lists/ or /var/lib/mail-lists/'


def _list_path_problem(path: str) -> str | None:
    """Why a list file may not live at normalised ``path``, or None."""
    parts = path.split('/')[1:]
    if any(part.startswith('.') for part in parts):
        return f"path {path!r} has a hidden component (a dot directory such as ~/.ssh belongs to another program)"
    parent, name = posixpath.split(path)
    if path in _ROLE_FILES:
        return f'path {path!r} is a file the role manages itself'
    if parent == '/etc/mail':
        if name in _MAIL_DIR_FILES or name.endswith(_MAIL_DIR_SUFFIXES):
            return f'path {path!r} is a file sendmail builds or reads (/etc/mail/{name})'
        return None
    if parent.startswith('/etc/mail/'):
        sub = parts[2]
        if sub in _MAIL_DIR_SUBDIRS:
            return f'path {path!r} is in /etc/mail/{sub}, which sendmail or its packaging owns'
        return None
    if parent in ('/', '/etc', '/var', '/usr/local'):
        return (f'path {path!r} would sit directly in {parent} among other programs\' files; '
                f'keep lists in a directory of their own, {_LIST_PLACES}')
    if path.startswith(_USR_LOCAL_OK):
        return None
    for place in _OTHER_PLACES:
        if path.startswith(place + '/'):
            return f'path {path!r} is under {place}, which belongs to other programs or users; use {_LIST_PLACES}'
    return None


def _normal_path(path: str) -> str:
    """One spelling per file: normpath, and no leading '//' (which normpath keeps)."""
    return posixpath.normpath(path).replace('//', '/')


def _alias_file_key(path: str) -> tuple[str, str | None]:
    problem = _path_problem(path)
    if problem is not None:
        return path, problem
    norm = _normal_path(path)
    return norm, _list_path_problem(norm)


def _mode_problem(mode: Any) -> str | None:
    if isinstance(mode, int):
        return f"mode must be a quoted string such as '0644' (YAML reads 0644 as the number 420), got {mode!r}"
    if not isinstance(mode, str) or not _MODE_RE.match(mode):
        return f"mode {mode!r} must be 3 or 4 octal digits, e.g. '0644'"
    bits = int(mode, 8)
    if bits & 0o7000:
        return f'mode {mode!r} sets the setuid, setgid or sticky bit, which a list file never needs'
    if bits & 0o002:
        return f'mode {mode!r} lets every user write the list (and so add recipients to it)'
    return None


def _alias_file_build(entry: Mapping, key: str, opts: _Options) -> tuple[Any, list[str]]:
    members, problems = _members(entry['members'], _LIST_FILE_MEMBERS)
    out = {'path': key, 'members': members}
    for field in ('owner', 'group'):
        value = 'root' if entry.get(field) is None else entry[field]
        if not isinstance(value, str) or not _ACCOUNT_RE.match(value):
            problems.append(f'{field} {value!r} is not a user/group name')
        out[field] = value
    mode = '0644' if entry.get('mode') is None else entry['mode']
    problem = _mode_problem(mode)
    problems += [problem] if problem else []
    out['mode'] = mode
    return out, problems


def _include_errors(aliases: Mapping[str, tuple[tuple[str, int], dict]], declared: Mapping[str, Any],
                    removed: Mapping[str, str], allow_files: bool) -> list[str]:
    """Aliases whose :include: member names a list file that sendmail_alias_files does not declare
    (unless files are allowed: then the file is the administrator's) or removes."""
    errors: list[str] = []
    for (var, index), alias in aliases.values():
        for member in alias['members']:
            if not member.startswith(':include:'):
                continue
            path = _normal_path(member[9:])
            if path in removed:
                reason = 'includes a file that sendmail_alias_files removes (state: absent)'
            elif path not in declared and not allow_files:
                reason = ('includes a file that sendmail_alias_files does not declare; declare the list there, '
                          'or set sendmail_aliases_allow_files: true for a file you keep yourself')
            else:
                continue
            errors.append(f"{var}[{index}] (name {alias['name']!r}): member {member!r} {reason}")
    return errors
