# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sendmail.mc settings: listen entries, the smart host, features, defines, raw lines."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.mailops.sendmail.plugins.plugin_utils._grammar import (
    _endpoint,
    _port,
    _IDENTIFIER_RE,
    _LOCAL_NAME_RE,
    _Options,
    _as_list,
    _hostname_problem,
    _ip,
    _kind,
    _read_fields,
    _report,
)
from ._m4 import is_macro, macro_word, quote_problem, value_problem
from ._relay import OPEN_RELAY, RELAY_FEATURES, extra_line_problem

_LISTEN_NAME_RE = re.compile(r'[A-Za-z0-9_-]+\Z')
# DaemonPortOptions' Modifier letters (sendmail's op guide): a b c f s u A C E O S.
_MODIFIERS = frozenset('abcfsuACEOS')
_FILTER_NAME_RE = re.compile(r'[A-Za-z0-9_-]+\Z')
_DELIVERY_MODES = ('i', 'b', 'q', 'd')
# listen entry field -> DaemonPortOptions key, for the integer fields.
_LISTEN_NUMBERS = {'listen': 'Listen', 'snd_buf_size': 'SndBufSize', 'rcv_buf_size': 'RcvBufSize',
                   'children': 'children', 'refuse_la': 'refuseLA', 'delay_la': 'delayLA', 'queue_la': 'queueLA'}
_LISTEN_FIELDS = ('name', 'port', 'addr', 'family', 'modifiers', 'input_mail_filters', 'delivery_mode',
                  *_LISTEN_NUMBERS)
_WILDCARDS = {'inet': '0.0.0.0', 'inet6': '::'}


def _listen_family(entry: Mapping, problems: list[str]) -> tuple[str | None, str | None]:
    """(family, canonical address) of a listen entry; the address defaults to the family's wildcard."""
    family, addr = entry.get('family'), entry.get('addr')
    if family is not None and (not isinstance(family, str) or family not in _WILDCARDS):
        problems.append(f"family {family!r} must be 'inet' or 'inet6' (a local socket is not a mail listener "
                        'the role can check)')
        return None, None
    if addr is None:
        family = family or 'inet'
        return family, _WILDCARDS[family]
    ip = _ip(addr) if isinstance(addr, str) and '%' not in addr else None
    if ip is None:
        problems.append(f'addr {addr!r} must be a literal IPv4 or IPv6 address (not a host name, no brackets, '
                        'no %scope)')
        return None, None
    found = 'inet' if ip.version == 4 else 'inet6'
    if family is not None and family != found:
        problems.append(f'addr {addr!r} is an {found} address but family is {family!r}')
    return found, str(ip)


def _listen_options(entry: Mapping, out: dict, problems: list[str]) -> None:
    """Check the optional DaemonPortOptions fields and put their text in ``out['options']``."""
    parts = [f"Family={out['family']}", f"Name={out['name']}", f"Port={out['port']}", f"Addr={out['addr']}"]
    modifiers = entry.get('modifiers')
    if modifiers is not None:
        if not isinstance(modifiers, str) or not modifiers:
            problems.append(f'modifiers must be a string of letters such as "Ea", got {modifiers!r}')
        else:
            bad = sorted(set(modifiers) - _MODIFIERS)
            if bad:
                problems.append(f'modifiers {modifiers!r}: unknown letters {", ".join(map(repr, bad))} '
                                f'(sendmail knows {" ".join(sorted(_MODIFIERS))})')
            parts.append(f'M={modifiers}')
    out['modifiers'] = modifiers if isinstance(modifiers, str) else ''
    filters = entry.get('input_mail_filters')
    if filters is not None:
        names = filters.split(';') if isinstance(filters, str) else filters
        good = isinstance(names, (list, tuple)) and all(
            isinstance(n, str) and _FILTER_NAME_RE.match(n) and not is_macro(n) for n in names)
        if not good:
            problems.append(f'input_mail_filters {filters!r} must be a list of milter names '
                            '(letters, digits, _ and -)')
        else:
            parts.append(f"InputMailFilters={';'.join(names)}")
    mode = entry.get('delivery_mode')
    if mode is not None:
        if mode not in _DELIVERY_MODES:
            problems.append(f"delivery_mode {mode!r} must be one of {', '.join(_DELIVERY_MODES)}")
        else:
            parts.append(f'DeliveryMode={mode}')
    for field, key in _LISTEN_NUMBERS.items():
        value = entry.get(field)
        if value is None:
            continue
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(f'{field} must be a whole number >= 0, got {value!r}')
        else:
            parts.append(f'{key}={value}')
    out['options'] = ', '.join(parts)
    problem = value_problem(out['options'])  # each field is checked above; this holds the whole line to it too
    if problem:
        problems.append(f'the DaemonPortOptions {out["options"]!r} {problem}')


def _listen_entry(raw: Any, ref: str, errors: list[str]) -> dict | None:
    entry, problems = _read_fields(raw, 'name', _LISTEN_FIELDS)
    if entry is None:
        _report(errors, ref, 'name', raw, problems)
        return None
    if not _LISTEN_NAME_RE.match(entry['name']) or is_macro(entry['name']):
        problems.append("the name may only have letters, digits, '_' and '-', and must not be an m4 macro name")
    port, problem = _port(entry['port']) if entry.get('port') is not None else (25, None)
    problems += [problem] if problem else []
    family, addr = _listen_family(entry, problems)
    out = {'name': entry['name'], 'port': port, 'addr': addr, 'family': family, 'raw': False}
    if not problems:
        _listen_options(entry, out, problems)
    if problems:
        _report(errors, ref, 'name', raw, problems)
        return None
    return out


def _listen(value: Any, errors: list[str]) -> list[dict]:
    items = _as_list(value, 'sendmail_listen', errors)
    if not items and (value is None or isinstance(value, (list, tuple))):
        errors.append('sendmail_listen: must list at least one address for sendmail to listen on')
    result, names, endpoints = [], {}, {}
    for index, raw in enumerate(items):
        entry = _listen_entry(raw, f'sendmail_listen[{index}]', errors)
        if entry is None:
            continue
        label = f"sendmail_listen[{index}] (name {entry['name']!r})"
        key = (entry['addr'], entry['port'])
        if entry['name'] in names:
            errors.append(f"{label}: duplicate name (first at index {names[entry['name']]})")
        elif key in endpoints:
            errors.append(f'{label}: duplicate address {_endpoint(*key)} (first at index {endpoints[key]})')
        else:
            names[entry['name']] = endpoints[key] = index
            result.append((index, entry))
    errors.extend(_wildcard_overlaps(result))
    return [entry for _index, entry in result]


def _wildcard_overlaps(listen: list[tuple[int, dict]]) -> list[str]:
    """A wildcard and a specific address of one family on one port cannot
    both be bound on Linux: the second daemon would fail to start."""
    wildcards = {(e['family'], e['port']): (i, e) for i, e in listen if _ip(e['addr']).is_unspecified}
    errors = []
    for index, entry in listen:
        wild_index, wild = wildcards.get((entry['family'], entry['port']), (index, None))
        if wild_index != index:
            errors.append(f"sendmail_listen[{index}] (name {entry['name']!r}): "
                          f"{_endpoint(entry['addr'], entry['port'])} overlaps "
                          f"{_endpoint(wild['addr'], wild['port'])} of sendmail_listen[{wild_index}]; "
                          'sendmail could not bind both')
    return errors


# A SMART_HOST value: its mailer (none: relay) and its host.
_SMART_HOST_RE = re.compile(r'(?:(?P<mailer>relay|smtp|esmtp|smtp8):)?(?P<host>.*)\Z', re.DOTALL)
_SMART_HOST_FORMS = 'use [relay:|smtp:|esmtp:|smtp8:] then host, [host], [IPv4] or [IPv6:addr]'


def _smart_host_problem(value: str) -> str | None:
    problem = quote_problem(value)
    if problem:
        return problem
    host = _SMART_HOST_RE.match(value).group('host')
    word = macro_word(host)
    if word:
        return f'the name has the word {word!r}, an m4 macro that would run while sendmail.cf is built'
    if host.startswith('[') and host.endswith(']'):
        host = host[1:-1]
        if host[:5].lower() == 'ipv6:':
            ip = _ip(host[5:])
            return None if ip is not None and ip.version == 6 else f'{host!r} is not an IPv6 address'
        ip = _ip(host)
        if ip is not None:
            return None if ip.version == 4 else f'an IPv6 literal is written [IPv6:{host}]'
    if ':' in host:
        return f'unknown mailer or bad address: {_SMART_HOST_FORMS}'
    return _hostname_problem(host)


def _smart_host(value: Any, errors: list[str]) -> str:
    if value is None or value == '':
        return ''
    problem = (f'must be a string, got {_kind(value)}' if not isinstance(value, str)
               else _smart_host_problem(value))
    if problem:
        errors.append(f'sendmail_smart_host ({value!r}): {problem}')
        return ''
    return value


# The FEATUREs of sendmail 8.18's cf/feature directory (8.17's and fips3).
_FEATURES = frozenset("""
    accept_unqualified_senders accept_unresolvable_domains access_db allmasquerade
    always_add_domain authinfo badmx bcc bestmx_is_local bitdomain blacklist_recipients
    block_bad_helo blocklist_recipients check_cert_altnames check_other compat_check conncontrol
    delay_checks dnsbl domainmap domaintable drac enhdnsbl fips3 generics_entire_domain genericstable
    greet_pause ldap_routing limited_masquerade local_lmtp local_no_masquerade local_procmail
    lookupdotdomain loose_relay_check mailertable masquerade_entire_domain masquerade_envelope
    msp mtamark no_default_msa nocanonify nopercenthack notsticky nouucp nullclient prefixmod
    preserve_local_plus_detail preserve_luser_host promiscuous_relay queuegroup ratecontrol
    redirect relay_based_on_MX relay_entire_domain relay_hosts_only relay_local_from
    relay_mail_from require_rdns rhsbl smrsh stickyhost sts tls_failures tls_session_features
    use_client_ptr use_ct_file use_cw_file uucpdomain virtuser_entire_domain virtusertable vnet
""".split())
# The cf tree differs between the sendmail releases the platforms ship (8.15 on Debian 11 and EL 8, 8.16 on
# EL 9, 8.17 on Debian 12, 8.18 on Debian 13, EL 10 and Fedora): the names above that an older cf tree
# lacks, by the first release known to have them (Debian 11's 8.15 cf tree against Debian 12's 8.17 and
# Debian 13's 8.18; what 8.16 lacks is left to the host's m4 check). With the
# host's release in the settings (sendmail_version, from the role's vars per platform) a name its cf tree
# lacks is refused here, before any host changes, instead of failing the host's m4 check.
_FEATURES_SINCE = {'check_cert_altnames': (8, 16), 'check_other': (8, 16), 'sts': (8, 16),
                   'tls_failures': (8, 16), 'fips3': (8, 18)}
# 8.16 renamed FEATURE(blacklist_recipients) to blocklist_recipients (8.16-8.18 keep the old name as a
# deprecated alias of the new one): on an older cf tree the new name is built under the old one.
_FEATURE_OLD_NAMES = {'blocklist_recipients': ((8, 16), 'blacklist_recipients')}
_CONF_NAMES_SINCE = {'confCRL_PATH': (8, 16), 'confDANE': (8, 16), 'confSSL_ENGINE': (8, 16),
                     'confSSL_ENGINE_PATH': (8, 16), 'confTLS_FALLBACK_TO_CLEAR': (8, 16)}
_VERSION_RE = re.compile(r'8\.(1[0-9])(?:\.[0-9]+)*\Z')


def sendmail_version(value: Any, errors: list[str]) -> tuple[int, int] | None:
    """The host's sendmail release as (8, minor) from settings' sendmail_version ('8.15', '8.17.1'), None
    when not given (then every name of the newest cf tree the validator knows is accepted)."""
    if value is None or value == '':
        return None
    match = _VERSION_RE.match(value) if isinstance(value, str) else None
    if match is None:
        errors.append(f"sendmail_version ({value!r}): must be sendmail's release as a string, e.g. '8.17'")
        return None
    return 8, int(match.group(1))


def _since_problem(what: str, since: tuple[int, int] | None, version: tuple[int, int] | None) -> str | None:
    if since is None or version is None or version >= since:
        return None
    return (f"sendmail {version[0]}.{version[1]} (this host's, sendmail_version) has no {what}: its cf tree "
            'lacks it, a later sendmail release added it')


# Declared by the role's sendmail.mc itself: a second declaration would change their arguments
# (access_db's `skip', delay_checks' `friend') or load them twice.
_BUILTIN_FEATURES = {
    'use_cw_file': "FEATURE(`use_cw_file')", 'access_db': "FEATURE(`access_db', , `skip')",
    'virtusertable': "FEATURE(`virtusertable')", 'mailertable': "FEATURE(`mailertable')",
    'delay_checks': "FEATURE(`delay_checks', `friend', `n')",
    'genericstable': "FEATURE(`genericstable')",
    'no_default_msa': "FEATURE(`no_default_msa') (use sendmail_listen for an MSA)",
}


def _args(value: Any) -> tuple[list[str], list[str]]:
    if value is None:
        return [], []
    if not isinstance(value, (list, tuple)):
        return [], [f"'args' must be a list of strings, got {_kind(value)}"]
    args, problems = [], []
    for arg in value:
        if arg is None:
            arg = ''
        if isinstance(arg, bool) or not isinstance(arg, (str, int)):
            problems.append(f'argument {arg!r} must be a string, got {_kind(arg)}')
            continue
        problem = value_problem(str(arg), commas=False)
        if problem:
            problems.append(f'argument {str(arg)!r} {problem}')
        args.append(str(arg))
    return args, problems


def _features(value: Any, allow_open_relay: bool, errors: list[str],
              version: tuple[int, int] | None = None) -> list[dict]:
    result = []
    for index, raw in enumerate(_as_list(value, 'sendmail_features', errors)):
        entry, problems = _read_fields(raw, 'name', ('name', 'args'), shorthand=True)
        if entry is not None:
            feature, problems = _feature(entry, allow_open_relay, version)
        if problems:
            _report(errors, f'sendmail_features[{index}]', 'name', raw, problems, shorthand=True)
        else:
            result.append(feature)
    return result


def _feature(entry: Mapping, allow_open_relay: bool,
             version: tuple[int, int] | None = None) -> tuple[dict, list[str]]:
    name = entry['name']
    args, problems = _args(entry.get('args'))
    if name in _BUILTIN_FEATURES:
        problems.append(f'always on: the role declares {_BUILTIN_FEATURES[name]} itself, and a second '
                        'declaration would change it')
    elif name in DEDICATED_FEATURES:
        problems.append(f'set {DEDICATED_FEATURES[name]}: true instead (one switch for one FEATURE)')
    elif name not in _FEATURES:
        close = difflib.get_close_matches(name, sorted(_FEATURES), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ''
        problems.append(f'sendmail has no FEATURE({name!r}) (its cf/feature directory){hint}')
    elif name in RELAY_FEATURES and not allow_open_relay:
        problems.append(f'FEATURE({name}) {RELAY_FEATURES[name]}: it {OPEN_RELAY}')
    elif problem := _since_problem(f'FEATURE({name!r})', _FEATURES_SINCE.get(name), version):
        problems.append(problem)
    elif name in _FEATURE_OLD_NAMES and version is not None and version < _FEATURE_OLD_NAMES[name][0]:
        name = _FEATURE_OLD_NAMES[name][1]
    return {'name': name, 'args': args}, problems


# The cf options (confNAME) sendmail 8.17's cf uses; a name it does not use would be ignored.
_CONF_NAMES = frozenset("""
    confALIAS_WAIT confALLOW_BOGUS_HELO confAUTH_MAX_BITS confAUTH_MECHANISMS confAUTH_OPTIONS
    confAUTH_REALM confAUTO_REBUILD confBAD_RCPT_THROTTLE confBIND_OPTS confBLANK_SUB confCACERT
    confCACERT_PATH confCERT_FINGERPRINT_ALGORITHM confCF_VERSION confCHECKPOINT_INTERVAL
    confCHECK_ALIASES confCIPHER_LIST confCLIENT_CERT confCLIENT_KEY confCLIENT_OPTIONS
    confCLIENT_SSL_OPTIONS confCOLON_OK_IN_ADDR confCONNECTION_RATE_THROTTLE
    confCONNECTION_RATE_WINDOW_SIZE confCONNECT_ONLY_TO confCONTROL_SOCKET_NAME
    confCON_EXPENSIVE confCOPY_ERRORS_TO confCRL confCRL_PATH confCR_FILE confCT_FILE
    confCW_FILE confDAEMON_OPTIONS confDANE confDEAD_LETTER_DROP confDEF_AUTH_INFO
    confDEF_CHAR_SET confDEF_GROUP_ID confDEF_USER_ID confDELAY_LA confDELIVERY_MODE
    confDELIVER_BY_MIN confDEQUOTE_OPTS confDF_BUFFER_SIZE confDH_PARAMETERS confDIAL_DELAY
    confDIRECT_SUBMISSION_MODIFIERS confDOMAIN_NAME confDONT_BLAME_SENDMAIL
    confDONT_EXPAND_CNAMES confDONT_INIT_GROUPS confDONT_PROBE_INTERFACES confDONT_PRUNE_ROUTES
    confDOUBLE_BOUNCE_ADDRESS confEBINDIR confEIGHT_BIT_HANDLING confERROR_MESSAGE
    confERROR_MODE confFALLBACK_MX confFALLBACK_SMARTHOST confFAST_SPLIT confFORWARD_PATH
    confFROM_HEADER confFROM_LINE confHELO_NAME confHOSTS_FILE confHOST_STATUS_DIRECTORY
    confIGNORE_DOTS confINPUT_MAIL_FILTERS confLDAP_CLUSTER confLDAP_DEFAULT_SPEC
    confLOCAL_MAILER confLOG_LEVEL confMAILBOX_DATABASE confMAILER_NAME confMATCH_GECOS
    confMAX_ALIAS_RECURSION confMAX_DAEMON_CHILDREN confMAX_HEADERS_LENGTH confMAX_HOP
    confMAX_MESSAGE_SIZE confMAX_MIME_HEADER_LENGTH confMAX_NOOP_COMMANDS confMAX_QUEUE_AGE
    confMAX_QUEUE_CHILDREN confMAX_QUEUE_RUN_SIZE confMAX_RCPTS_PER_MESSAGE
    confMAX_RUNNERS_PER_QUEUE confMCI_CACHE_SIZE confMCI_CACHE_TIMEOUT confMESSAGEID_HEADER
    confMESSAGE_TIMEOUT confME_TOO confMILTER_LOG_LEVEL confMILTER_MACROS_CONNECT
    confMILTER_MACROS_DATA confMILTER_MACROS_ENVFROM confMILTER_MACROS_ENVRCPT
    confMILTER_MACROS_EOH confMILTER_MACROS_EOM confMILTER_MACROS_HELO confMIME_FORMAT_ERRORS
    confMIN_FREE_BLOCKS confMIN_QUEUE_AGE confMUST_QUOTE_CHARS confNICE_QUEUE_RUN
    confNO_RCPT_ACTION confOLD_STYLE_HEADERS confOPERATORS confPID_FILE confPRIVACY_FLAGS
    confPROCESS_TITLE_PREFIX confQUEUE_FACTOR confQUEUE_FILE_MODE confQUEUE_LA
    confQUEUE_SORT_ORDER confRAND_FILE confRCPTREJ_MSG confREAD_TIMEOUT confRECEIVED_HEADER
    confREFUSE_LA confREJECT_LOG_INTERVAL confREJECT_MSG confREJECT_NUL confRELAY_MAILER
    confRELAY_MSG confREQUIRES_DIR_FSYNC confRRT_IMPLIES_DSN confRUN_AS_USER confSAFE_FILE_ENV
    confSAFE_QUEUE confSAVE_FROM_LINES confSEPARATE_PROC confSERVER_CERT confSERVER_KEY
    confSERVER_SSL_OPTIONS confSERVICE_SWITCH_FILE confSEVEN_BIT_INPUT confSHARED_MEMORY_KEY
    confSHARED_MEMORY_KEY_FILE confSINGLE_LINE_FROM_HEADER confSINGLE_THREAD_DELIVERY
    confSMTP_LOGIN_MSG confSMTP_MAILER confSOFT_BOUNCE confSSL_ENGINE confSSL_ENGINE_PATH
    confTEMP_FILE_MODE confTIME_ZONE confTLS_FALLBACK_TO_CLEAR confTLS_SRV_OPTIONS confTO_
    confTO_ACONNECT confTO_AUTH confTO_COMMAND confTO_CONNECT confTO_CONTROL confTO_DATABLOCK
    confTO_DATAFINAL confTO_DATAINIT confTO_FILEOPEN confTO_HELO confTO_HOSTSTATUS
    confTO_ICONNECT confTO_IDENT confTO_INITIAL confTO_LHLO confTO_MAIL confTO_MISC
    confTO_QUEUERETURN confTO_QUEUERETURN_DSN confTO_QUEUERETURN_NONURGENT
    confTO_QUEUERETURN_NORMAL confTO_QUEUERETURN_URGENT confTO_QUEUEWARN confTO_QUEUEWARN_DSN
    confTO_QUEUEWARN_NONURGENT confTO_QUEUEWARN_NORMAL confTO_QUEUEWARN_URGENT confTO_QUIT
    confTO_RCPT confTO_RESOLVER_RETRANS confTO_RESOLVER_RETRANS_FIRST
    confTO_RESOLVER_RETRANS_NORMAL confTO_RESOLVER_RETRY confTO_RESOLVER_RETRY_FIRST
    confTO_RESOLVER_RETRY_NORMAL confTO_RSET confTO_STARTTLS confTRUSTED_USER confTRUSTED_USERS
    confTRY_NULL_MX_LIST confUNSAFE_GROUP_WRITES confUSERDB_SPEC
    confUSE_COMPRESSED_IPV6_ADDRESSES confUSE_ERRORS_TO confUSE_MSP confUUCP_MAILER
    confWORK_CLASS_FACTOR confWORK_RECIPIENT_FACTOR confWORK_TIME_FACTOR confXF_BUFFER_SIZE
""".split())
# The other macros cf/README documents for define(): mailer settings, relays, files.
_DEFINE_RE = re.compile(
    r'(?:[A-Z0-9]+(?:_BB)?_MAILER_(?:PATH|FLAGS|ARGS|MAX|CHARSET|USER|QGRP|LL|EOL|DSN_DIAGNOSTIC_CODE)'
    r'|LOCAL_SHELL_(?:PATH|FLAGS|ARGS|DIR)|LOCAL_PROG_QGRP'
    r'|(?:BITNET|DECNET|FAX|UUCP|LOCAL|LUSER)_RELAY|MAIL_HUB|HELP_FILE|QUEUE_DIR|MSP_QUEUE_DIR|STATUS_FILE'
    r'|MAIL_SETTINGS_DIR|DATABASE_MAP_TYPE|DNSBL_MAP|DNSBL_MAP_OPT|TLS_PERM_ERR)\Z')
_ROLE_DEFINES = {'ALIAS_FILE': 'the role sets it to the aliases file it manages',
                 'SMART_HOST': 'use sendmail_smart_host',
                 'confINPUT_MAIL_FILTERS': 'use sendmail_milters and, for their order, sendmail_input_mail_filters'}


def _define_name_problem(name: str, version: tuple[int, int] | None = None) -> str | None:
    if name in _ROLE_DEFINES:
        return f'not settable here: {_ROLE_DEFINES[name]}'
    if name in _CONF_NAMES or _DEFINE_RE.match(name):
        return _since_problem(f'{name} (its cf would ignore it)', _CONF_NAMES_SINCE.get(name), version)
    if name.startswith('_'):
        return ("a cf-internal macro (a leading '_'); these are set by FEATUREs and sendmail's own m4, "
                'never by the inventory')
    close = difflib.get_close_matches(name, sorted(_CONF_NAMES), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ''
    return ("not a define sendmail's cf/README documents (confNAME options, *_MAILER_* settings, "
            f'*_RELAY, MAIL_HUB, ...), so sendmail would ignore it{hint}')


def _defines(value: Any, errors: list[str], version: tuple[int, int] | None = None) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, Mapping):
        errors.append(f'sendmail_defines: must be a mapping of name to value, got {_kind(value)}')
        return []
    result = []
    for name, raw in value.items():
        label = f'sendmail_defines[{name!r}]'
        if not isinstance(name, str) or not _IDENTIFIER_RE.match(name):
            errors.append(f'{label}: not a valid define name (letters, digits and _, not starting with a digit)')
            continue
        problem = _define_name_problem(name, version)
        if problem:
            errors.append(f'{label}: {problem}')
            continue
        if isinstance(raw, bool):
            text = 'True' if raw else 'False'
        elif isinstance(raw, (str, int)):
            text = str(raw)
        else:
            errors.append(f'{label}: value must be a string, an integer or a boolean, got {_kind(raw)}')
            continue
        problem = value_problem(text)
        if problem:
            errors.append(f'{label}: value {text!r} {problem}')
            continue
        result.append({'name': name, 'value': text})
    return sorted(result, key=lambda item: item['name'])


def _mc_extra_lines(value: Any, allow_open_relay: bool, errors: list[str]) -> list[str]:
    lines = []
    for index, line in enumerate(_as_list(value, 'sendmail_mc_extra_lines', errors)):
        if not isinstance(line, str):
            errors.append(f'sendmail_mc_extra_lines[{index}]: must be a string, got {_kind(line)}')
        elif '\n' in line or '\r' in line:
            errors.append(f'sendmail_mc_extra_lines[{index}] ({line!r}): contains a newline; '
                          'give each line as its own list item')
        elif not allow_open_relay and (problem := extra_line_problem(line)):
            errors.append(f'sendmail_mc_extra_lines[{index}] ({line!r}): {problem}: it {OPEN_RELAY}')
        else:
            lines.append(line)
    return lines


_RAW_DAEMON_RE = re.compile(r"DAEMON_OPTIONS\(\s*`([^']*)'")


def raw_daemons(lines: list[str]) -> list[dict]:
    """The listeners that DAEMON_OPTIONS lines among the raw mc lines add, for the listen check
    (``raw: True``: the template does not render them again).  sendmail's defaults apply: port
    smtp, family inet, the family's any-address."""
    daemons = []
    for line in lines:
        for options in _RAW_DAEMON_RE.findall(line):
            fields = {}
            for part in options.split(','):
                key, _eq, value = part.strip().partition('=')
                fields[key.strip().lower()] = value.strip()
            family = fields.get('family', 'inet').lower()
            port = _port(fields.get('port', 'smtp'))[0]
            if family not in _WILDCARDS or port is None:
                continue
            ip = _ip(fields['addr']) if 'addr' in fields else _ip(_WILDCARDS[family])
            if ip is None:
                continue
            daemons.append({'name': fields.get('name', ''), 'port': port, 'addr': str(ip), 'family': family,
                            'modifiers': fields.get('m', fields.get('modifier', fields.get('modifiers', ''))),
                            'raw': True})
    return daemons


def _flag(data: Mapping, name: str, errors: list[str]) -> bool:
    value = data.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        errors.append(f'sendmail_{name}: must be true or false, got {value!r}')
        return False
    return value


def _options(data: Mapping, errors: list[str]) -> _Options:
    files = _flag(data, 'aliases_allow_files', errors)
    programs = _flag(data, 'aliases_allow_programs', errors)
    rules = {
        'local': None, 'address': None, 'include': None,
        'file': None if files else 'file members are refused unless sendmail_aliases_allow_files: true',
        'program': None if programs else
        'program members are refused unless sendmail_aliases_allow_programs: true',
    }
    return _Options(allow_open_relay=_flag(data, 'allow_open_relay', errors), member_rules=rules)


def cf_requirements(features: list, dnsbl: list) -> list[str]:
    """What the sendmail.cf built from the role's mc must show, as the helper's check-mc and build-cf take
    it: each FEATURE the mc calls (``feature:NAME``, as m4's trace shows the call) and each DNSBL zone
    (``text:ZONE``)."""
    names = list(_BUILTIN_FEATURES) + [feature['name'] for feature in features] + (['dnsbl'] if dnsbl else [])
    return ['feature:' + name for name in dict.fromkeys(names)] + ['text:' + entry['zone'] for entry in dnsbl]


# --------------------------------------------------------------------------
# Masquerading and the genericstable's class G (cf/README: MASQUERADING AND RELAYING; FEATUREs
# allmasquerade, limited_masquerade, masquerade_entire_domain, masquerade_envelope, genericstable,
# generics_entire_domain)
# --------------------------------------------------------------------------

# The FEATUREs with a variable of their own (true/false): sendmail_features refuses them, so one
# FEATURE has one switch.
_MASQUERADE_FLAGS = ('masquerade_envelope', 'allmasquerade', 'masquerade_entire_domain', 'limited_masquerade',
                     'generics_entire_domain')
DEDICATED_FEATURES = {name: f'sendmail_{name}' for name in _MASQUERADE_FLAGS}
# What each needs to have any effect (cf/README); without it sendmail builds the cf and silently ignores it.
_NEEDS_MASQUERADE_AS = ('masquerade_domains', 'exposed_users', 'allmasquerade', 'masquerade_entire_domain',
                        'limited_masquerade')


def _mc_name_problem(value: Any, user: bool) -> str | None:
    """Why ``value`` is not a host/domain name (a user name with ``user``) that stays data in the mc."""
    if not isinstance(value, str):
        return f'must be a string, got {_kind(value)}'
    if user:
        if not _LOCAL_NAME_RE.match(value):
            return 'not a user name (letters, digits, and . _ + - after the first character)'
    else:
        problem = _hostname_problem(value[:-1] if value.endswith('.') else value)
        if problem:
            return problem
    return value_problem(value)


def _mc_names(data: Mapping, key: str, user: bool, errors: list[str]) -> list[str]:
    """A list setting whose items each become one class entry (C{M}, C{E}, C{G}); duplicates refused."""
    names, seen = [], {}
    for index, value in enumerate(_as_list(data.get(key), f'sendmail_{key}', errors)):
        problem = _mc_name_problem(value, user)
        folded = value.lower() if isinstance(value, str) else value
        if problem is None and folded in seen:
            problem = f'duplicate (first at index {seen[folded]})'
        if problem:
            errors.append(f'sendmail_{key}[{index}] ({value!r}): {problem}')
            continue
        seen[folded] = index
        names.append(value)
    return names


def masquerade(data: Mapping, errors: list[str]) -> dict:
    """MASQUERADE_AS, MASQUERADE_DOMAIN, EXPOSED_USER, GENERICS_DOMAIN and the masquerading FEATUREs,
    each from a variable of its own: ``{as, domains, exposed_users, generics_domains, features}``."""
    result = {'as': '', 'domains': _mc_names(data, 'masquerade_domains', False, errors),
              'exposed_users': _mc_names(data, 'exposed_users', True, errors),
              'generics_domains': _mc_names(data, 'generics_domains', False, errors),
              'features': [name for name in _MASQUERADE_FLAGS if _flag(data, name, errors)]}
    value = data.get('masquerade_as')
    if value not in (None, ''):
        problem = _mc_name_problem(value, False)
        if problem:
            errors.append(f'sendmail_masquerade_as ({value!r}): {problem}')
        else:
            result['as'] = value
    else:
        for name in _NEEDS_MASQUERADE_AS:
            if data.get(name):
                errors.append(f'sendmail_{name}: has no effect without sendmail_masquerade_as (cf/README: '
                              'MASQUERADING AND RELAYING); set the name to masquerade as, or leave it out')
    if 'masquerade_entire_domain' in result['features'] and not data.get('masquerade_domains'):
        errors.append('sendmail_masquerade_entire_domain: has no effect without sendmail_masquerade_domains '
                      '(it widens those domains to their subdomains)')
    if 'generics_entire_domain' in result['features'] and not data.get('generics_domains'):
        errors.append('sendmail_generics_entire_domain: has no effect without sendmail_generics_domains '
                      '(it widens those domains to their subdomains)')
    return result
