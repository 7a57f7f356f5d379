# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a value bound for sendmail.mc may hold, so that it stays data and never becomes m4 code.

sendmail.mc is an m4 program, and sendmail's cf macros expand most values again
(a define's value is rescanned wherever the cf uses it, a FEATURE argument in
the feature's own macros), so quoting a value once does not keep m4 from
running what is in it.  Two rules hold for every value the role writes there
(defines, FEATURE arguments, DNSBL zones and messages, listen fields; the raw
``sendmail_mc_extra_lines`` are the one documented exception):

* no m4 quote characters (`` ` `` and ``'``) and no line breaks: nothing can
  close the quotes the template puts around the value or start a new line;
* no word that m4 would expand: GNU m4's builtins (``esyscmd``, ``include``,
  ``divert``, ``m4exit``, ...), every macro sendmail's cf defines
  (``_CF_MACROS``, taken from the cf tree of sendmail 8.15-8.18 and Debian's
  additions; a lab test checks it against the cf on the host) and the cf's
  internal name patterns (``_NAME_``, ``confNAME``).

Texts that sendmail shows to clients (DNSBL messages) are quoted twice instead,
which a lab test shows m4 never undoes there, so they may hold any word,
commas and parentheses.  sendmail's cf turns m4 comments off (``changecom()``),
so ``#`` is plain text.
"""

from __future__ import annotations

import re

# GNU m4 1.4's builtins, the platform macros included.
M4_BUILTINS = frozenset('''
    __file__ __gnu__ __line__ __os2__ __program__ __unix__ __windows__ builtin changecom
    changequote debugfile debugmode decr define defn divert divnum dnl dumpdef errprint esyscmd
    eval format ifdef ifelse include incr index indir len m4exit m4wrap maketemp mkstemp
    patsubst popdef pushdef regexp shift sinclude substr syscmd sysval traceoff traceon
    translit undefine undivert
'''.split())

# The macros sendmail's cf tree defines (define/pushdef in cf/m4, feature, mailer, ostype,
# domain, hack and Debian's debian/*.m4, and what m4 traced while building a full mc), less
# the ones the patterns below already cover. Over the releases the platforms ship: 8.18 adds
# DANE_NOTLS_MSG and DANE_TEMP_MSG (the live-lab test_m4_safety.py traces each release's m4).
_CF_MACROS = frozenset('''
    ALIAS_FILE BITNET_RELAY CANONIFY_DOMAIN CANONIFY_DOMAIN_FILE CERT_DIR CF_LEVEL CHKORX
    CLIENT_OPTIONS CLT_FEAT_TAG CNF_MSG CONCAT CYRUSV2_MAILER_ARGS CYRUS_BB_MAILER_ARGS
    CYRUS_MAILER_ARGS CYRUS_MAILER_FLAGS CYRUS_MAILER_PATH CYRUS_MAILER_USER DAEMON_OPTIONS
    DANE_MSG DANE_NOTLS_MSG DANE_TEMP_MSG DATABASE_MAP_TYPE DEBIAN_MSP DEBIAN_MTA DNSBL_MAP DOL
    DOMAIN DSMTP_MAILER_ARGS
    ESMTP_MAILER_ARGS EXPOSED_USER EXPOSED_USER_FILE FAX_MAILER_ARGS FAX_MAILER_MAX
    FAX_MAILER_PATH FEATURE GENERICS_DOMAIN GENERICS_DOMAIN_FILE HACK HELP_FILE
    INPUT_MAIL_FILTER LDAPROUTE_DOMAIN LDAPROUTE_DOMAIN_FILE LDAPROUTE_EQUIVALENT
    LDAPROUTE_EQUIVALENT_FILE LOCAL_CLT_FEATURES LOCAL_CONFIG LOCAL_DNSBL LOCAL_DOMAIN
    LOCAL_MAILER_ARGS LOCAL_MAILER_CHARSET LOCAL_MAILER_DSN_DIAGNOSTIC_CODE LOCAL_MAILER_FLAGS
    LOCAL_MAILER_PATH LOCAL_MF_A_ LOCAL_MF_D_ LOCAL_NET_CONFIG LOCAL_RELAY LOCAL_RULESETS
    LOCAL_RULE_0 LOCAL_RULE_1 LOCAL_RULE_2 LOCAL_RULE_3 LOCAL_RWR LOCAL_SHELL_ARGS
    LOCAL_SHELL_DIR LOCAL_SHELL_FLAGS LOCAL_SHELL_PATH LOCAL_SRV_FEATURES LOCAL_TLS_CLIENT
    LOCAL_TLS_RCPT LOCAL_TLS_SERVER LOCAL_TRY_TLS LOCAL_USER LOCAL_USER_FILE LOCAL_UUCP
    MAIL11_MAILER_ARGS MAIL11_MAILER_PATH MAILER MAILER_DEFINITIONS MAIL_FILTER MAIL_HUB
    MAIL_SETTINGS_DIR MASQUERADE_AS MASQUERADE_DOMAIN MASQUERADE_DOMAIN_FILE
    MASQUERADE_EXCEPTION MASQUERADE_EXCEPTION_FILE MASQUERADE_NAME MCI_CACHE_SIZE
    MODIFY_MAILER_FLAGS MSP_QUEUE_DIR OSTYPE PH_MAILER_ARGS PH_MAILER_PATH POPDIVERT
    POP_MAILER_ARGS POP_MAILER_PATH PROCMAIL_MAILER_ARGS PROCMAIL_MAILER_PATH PROT_MSG
    PUSHDIVERT QPAGE_MAILER_ARGS QPAGE_MAILER_MAX QPAGE_MAILER_PATH QUEUE_DIR QUEUE_GROUP
    RELAY_DOMAIN RELAY_DOMAIN_FILE RELAY_MAILER_ARGS RELAY_MAILER_FLAGS RELAY_MAILER_LL SITE
    SITECONFIG SMART_HOST SMTP8_MAILER_ARGS SMTP_MAILER_ARGS SMTP_MAILER_FLAGS SMTP_MAILER_LL
    SM_CPYRT SM_DATE SM_MAXVERS SM_MINVERS SM_VERS SRV_FEAT_TAG SSH_MAILER_ARGS SSH_MAILER_HOST
    SSH_MAILER_PATH SSH_REMOTE_COMMAND STATUS_FILE SW_MSG TEMPFILE TLS_CLT_TAG TLS_DSNCODE
    TLS_ERRCODE TLS_ERRORS TLS_RCPT_TAG TLS_SRV_TAG TLS_TRY_TAG TRUST_AUTH_MECH
    USENET_MAILER_ARGS USENET_MAILER_PATH USE_CW_FILE UUCPSMTP UUCP_MAILER_ARGS UUCP_MAILER_MAX
    UUCP_MAILER_PATH UUCP_RELAY VERSIONID VIRTUSER_DOMAIN VIRTUSER_DOMAIN_FILE
    XAGENT_MAILER_ARGS XAGENT_MAILER_FLAGS XAGENT_MAILER_PATH format hpux lower sm_auth_lib
    sm_date sm_enable_auth sm_enable_dev sm_enable_doc sm_enable_hesiod sm_enable_ipv6
    sm_enable_ldap sm_enable_maillock sm_enable_milter sm_enable_ndbm sm_enable_newdb
    sm_enable_nis sm_enable_nisplus sm_enable_regex sm_enable_sfio sm_enable_shm sm_enable_tcpd
    sm_enable_tls sm_ffr sm_hesiod_parms sm_ldap_lib sm_m4_ffr sm_newdb_lib sm_revision sm_time
    sm_utc sm_version sm_version_beta sm_version_major sm_version_math sm_version_minor
    sm_version_r sm_version_v strcasecmp'''.split())
# cf-internal names (_NAME_, _FFR_X, __HOST__) and the cf options (confNAME).
_CF_MACRO_RE = re.compile(r'_[A-Za-z0-9_]*_[A-Za-z0-9_]*\Z|_[A-Z][A-Za-z0-9_]*\Z|conf[A-Z0-9_]+\Z')
_WORD_RE = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
# $1..$9, $#, $* and $@: what m4 substitutes in a macro's expansion.
_M4_DOLLAR_RE = re.compile(r'\$[0-9#*@]')
_BREAKERS = {'`': 'a backquote (`)', "'": "a single quote (')", '\n': 'a newline', '\r': 'a carriage return',
             '\0': 'a NUL character'}


def is_macro(word: str) -> bool:
    """Whether m4 would expand ``word`` while it builds sendmail.cf."""
    return word in M4_BUILTINS or word in _CF_MACROS or bool(_CF_MACRO_RE.match(word))


def macro_word(text: str) -> str | None:
    """The first word of ``text`` that m4 would expand, or None."""
    for match in _WORD_RE.finditer(text):
        if is_macro(match.group()):
            return match.group()
    return None


def quote_problem(text: str) -> str | None:
    """Why ``text`` cannot stand between m4 quotes at all, or None."""
    for ch, name in _BREAKERS.items():
        if ch in text:
            return f'contains {name}, which would end the m4 quoting in sendmail.mc'
    return None


def _paren_problem(text: str) -> str | None:
    depth = 0
    for ch in text:
        depth += {'(': 1, ')': -1}.get(ch, 0)
        if depth < 0:
            return "has a ')' without its '(' (m4 would end the macro call there)"
    return "has a '(' without its ')' (m4 would read the rest of sendmail.mc as its argument)" if depth else None


def value_problem(text: str, commas: bool = True) -> str | None:
    """Why ``text`` is not plain data in an m4 context that expands it, or None.

    ``commas``: whether the context keeps a comma as text (a define's value)
    or would split the argument there (a FEATURE argument).
    """
    problem = quote_problem(text)
    if problem:
        return problem
    word = macro_word(text)
    if word:
        kind = 'an m4 builtin' if word in M4_BUILTINS else "a macro of sendmail's cf"
        return f"contains the word {word!r}, {kind} that m4 would run while it builds sendmail.cf"
    dollar = _M4_DOLLAR_RE.search(text)
    if dollar:
        return (f'contains {dollar.group()!r}, which m4 replaces with a macro argument while it builds sendmail.cf '
                '(sendmail macros such as $j or ${name} are fine)')
    if not commas and ',' in text:
        return 'contains a comma, which m4 would read as the start of another argument; give each argument separately'
    return _paren_problem(text)


def text_quoted(text: str) -> str:
    """``text`` between two levels of m4 quotes, for a client-visible text.

    The caller has checked it with :func:`quote_problem`.
    """
    return f'``{text}\'\''
