# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one open-relay judgement: which inventory values would let sendmail relay for anyone.

Every place the inventory can widen relaying asks here, and each answer names
what it would open: RELAY access entries (every address form, IPv4-mapped IPv6
included), relay-domains (class R: a public suffix such as ``co.uk`` or
``github.io`` relays for everything registered under it), FEATUREs that relay
on forgeable data, and the same FEATUREs or cf-internal relay macros in the
raw ``sendmail_mc_extra_lines``.  ``sendmail_allow_open_relay: true`` accepts
all of them.

Public suffixes come from the Public Suffix List as the ``publicsuffixlist``
package ships it (ICANN and private sections, so hosting suffixes count too).
"""

from __future__ import annotations

import re

from ansible_collections.mailops.sendmail.plugins.module_utils._psl import public_suffix_list

OPEN_RELAY = ('would make the server an open relay; '
              'set sendmail_allow_open_relay: true to accept')

# Features that relay for clients or recipients nobody listed (cf/README: anyone can point an
# MX at the server, forge a local sender or one listed as RELAY, or use the %-hack).
RELAY_FEATURES = {
    'promiscuous_relay': 'relays for every client to every destination',
    'relay_based_on_MX': 'relays for any domain whose MX points at this server, which anyone can set up',
    'relay_local_from': 'relays for any client that gives a local sender address, which anyone can forge',
    'relay_mail_from': 'relays for any client that gives a sender listed as RELAY, which anyone can forge',
    'loose_relay_check': "relays '%'-routed addresses (user%other.domain@this.host) to their final domain",
}
# The cf-internal flags those features set (a raw mc line could set them directly).
_RELAY_MACROS = ('_PROMISCUOUS_RELAY_', '_RELAY_MX_SERVED_', '_RELAY_LOCAL_FROM_', '_RELAY_MAIL_FROM_',
                 '_LOOSE_RELAY_CHECK_')
_EXTRA_FEATURE_RE = re.compile(r'FEATURE\(\s*`?\s*([A-Za-z_][A-Za-z0-9_]*)')
# RELAY_DOMAIN(`a b') and a raw class R line (CRa b, C{R}a b) of the mc.
_EXTRA_RELAY_DOMAIN_RE = re.compile(r'RELAY_DOMAIN\(([^)]*)\)')
_EXTRA_CLASS_R_RE = re.compile(r'\s*C(?:R|\{R\})\s*(.*)')

# Keys that match every client or destination in the access map.
_EVERYTHING = frozenset(('0', '0.0.0.0', '*', '.'))
# sendmail writes an IPv4 client on an IPv6 socket as IPv6:::ffff:a.b.c.d (or, spelled out,
# 0:0:0:0:0:ffff:a.b.c.d) and looks up ever shorter prefixes of it: a key that is a prefix of
# these texts matches every IPv4 client.
_MAPPED_FORMS = ('::ffff:', '0:0:0:0:0:ffff:')
_LOCAL_NAMES = frozenset(('localhost', 'localhost.localdomain'))


def public_suffix_problem(name: str) -> str | None:
    """Why relaying for domain ``name`` (and everything under it) relays for everyone, or None."""
    name = name.lower().rstrip('.')
    if name in _LOCAL_NAMES or not name:
        return None
    psl = public_suffix_list()
    if psl is None:
        return ('needs the Python package publicsuffixlist on the controller to judge whether relaying '
                'for this domain relays for everyone (pip install publicsuffixlist)')
    if '.' not in name:
        return (f'{name!r} is a single-label (top-level) name: relaying for it relays for every domain '
                'under it')
    if psl.is_public(name):
        return (f'{name!r} is a public suffix (Public Suffix List): relaying for it relays for every '
                'domain registered under it')
    return None


def _ipv6_opens(rest: str) -> str | None:
    text = rest.lower()
    if text in ('', ':', '::'):
        return 'matches every IPv6 client'
    for form in _MAPPED_FORMS:
        # a prefix of the form that ends where one of its groups ends
        if form.startswith(text) and (text.endswith(':') or form[len(text)] == ':'):
            return f'matches every IPv4 client on an IPv6 socket (sendmail writes them as IPv6:{form}a.b.c.d)'
    return None


def access_relay_problem(tag: str | None, rest: str) -> str | None:
    """Why RELAY for an access key (its tag, None when untagged, and the rest) opens the server, or None."""
    if tag not in (None, 'connect', 'to'):
        return None
    low = rest.lower()
    if not low or '/0' in low:
        return 'matches every client or destination'
    if low.startswith('[') or '@' in low:
        return None  # a host literal or an address
    return relay_domain_problem(low)  # a network or a domain: judged as class R judges it


def relay_domain_problem(name: str) -> str | None:
    """Why a relay-domains entry (class R) opens the server, or None."""
    low = name.strip().lower()
    if not low:
        return None  # an empty name is refused as a name
    if low in _EVERYTHING:
        return 'matches every client or destination'
    if low.replace('.', '').isdigit() or low == '[unix:localhost]':
        return None
    if low.startswith('ipv6:'):
        return _ipv6_opens(low[5:])
    return public_suffix_problem(low)


def extra_line_problem(line: str) -> str | None:
    """Why a raw mc line turns on relaying for everyone, or None (a best-effort look for the known ways)."""
    for name in _EXTRA_FEATURE_RE.findall(line):
        if name in RELAY_FEATURES:
            return f'FEATURE({name}) {RELAY_FEATURES[name]}'
    for macro in _RELAY_MACROS:
        if macro in line:
            return f'sets {macro}, the cf-internal flag of a feature that relays for anyone'
    if 'RELAY_DOMAIN_FILE' in line:
        return ('adds a file to class R that the role cannot judge; list the domains in sendmail_relay_domains, '
                'which judges each one')
    names = [name for args in _EXTRA_RELAY_DOMAIN_RE.findall(line) for name in args.replace(',', ' ').split()]
    class_r = _EXTRA_CLASS_R_RE.match(line)
    names += class_r.group(1).split() if class_r else []
    for name in (name.strip("`'") for name in names):
        problem = relay_domain_problem(name)
        if problem:
            return f'adds {name!r} to class R (relay-domains): {problem}'
    return None
