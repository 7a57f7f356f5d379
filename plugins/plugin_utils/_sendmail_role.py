# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sendmail role's side of the policy step: the settings it validates, read from its variables
(role_settings), and every file it writes, one entry each (file_table, the table of mailops.sendmail.install_files).

The policy step (mailops.sendmail.sendmail_policy with ``platform``) builds it once per host from the merged
policy and the platform's names and paths (the role's vars per OS family); the role's state read
(host_state's ``table``) and its write (install_files' ``files``) take it as it is. Each file is rendered
once on the controller, compared with what host_state read, and written where it differs in one call to
the host, each new content first accepted by its check (``validate``), then replaced and rebuilt
(``post_command``: sendmail.cf, the .db maps) beside the live file. A built file older than its source is
rebuilt alone. ``triggers: [restart]`` restarts sendmail after the call (the role's tasks/restart.yml).

sendmail.mc, the maps and the class files keep the owner, group and mode the host gave them (the
distribution's, or the administrator's) less group/other write, execute and set-id bits, which sendmail
refuses on class files and maps (``keep_attributes``); owner, group and mode are those of a new file, as
the distribution's package makes them. The helper runs the checks, so it goes first (phase 0).

Adding a managed file means one entry here (and its template in the role's templates/).
"""

from __future__ import annotations

# The platform's names and paths the table needs (the sendmail role's vars/<OS family>.yml and vars/main.yml).
PLATFORM_KEYS = ('helper', 'conf_dir', 'conf_group', 'map_type', 'aliases_file')

# Where sendmail listens when sendmail_listen is empty: every IPv4 address for a server, loopback for a client.
LISTEN_DEFAULTS = {
    'server': [{'name': 'MTA-v4', 'port': 'smtp', 'addr': '0.0.0.0'}],
    'client': [{'name': 'MTA-v4', 'port': 'smtp', 'addr': '127.0.0.1'}],
}
# Settings that are the role variable sendmail_<name> as it is.
_AS_IS = ('smart_host', 'features', 'defines', 'mc_extra_lines', 'allow_open_relay', 'aliases_allow_files',
          'aliases_allow_programs', 'masquerade_as', 'masquerade_domains', 'exposed_users', 'masquerade_envelope',
          'allmasquerade', 'masquerade_entire_domain', 'limited_masquerade', 'generics_domains',
          'generics_entire_domain', 'input_mail_filters')
_TLS_AS_IS = ('cert_file', 'key_file', 'ca_file', 'ca_dir', 'client_cert', 'server_ssl_options', 'client_ssl_options',
              'cipher_list')


# What var() gives for a variable the host does not have: its setting is left out, so the policy's own default applies.
UNDEFINED = object()


def role_settings(var, facts=None):
    """The settings build_policy validates beside the layered maps (which the policy action reads itself), from
    the role's variables: var(name) is the variable's value, rendered, or UNDEFINED.

    Of the STARTTLS PEMs only whether the inventory holds them (the action reads and checks the texts itself),
    and no SMTP AUTH password: the action adds the users and the smart host's password, so that none is ever
    an argument of a task.
    """
    def role(name):
        return var('sendmail_' + name)

    def value(name):
        found = var(name)
        return None if found is UNDEFINED else found

    mode = role('mode')
    data = dict((name, role(name)) for name in _AS_IS)
    data.update(mode=mode, listen=value('sendmail_listen') or _listen_default('server' if mode is UNDEFINED else mode),
                # The platform's sendmail release (vars per OS family and release): names its cf tree lacks are refused.
                sendmail_version=var('__sendmail_version'))
    # Mail filters (INPUT_MAIL_FILTER lines, docs/dkim.md): those of the collection's milter roles (the dkim role
    # hands over its own, __dkim_sendmail_milters) first, then the inventory's; an inventory value that is not a
    # list goes as it is, for the policy to refuse by its name.
    dkim, milters = value('__dkim_sendmail_milters') or [], role('milters')
    if isinstance(milters, list):
        data['milters'] = dkim + milters
    elif milters is UNDEFINED:
        data['milters'] = dkim or UNDEFINED
    else:
        data['milters'] = milters
    tls = dict((part, bool(value('sendmail_tls_' + part))) for part in ('cert', 'key', 'ca'))
    tls.update((name, role('tls_' + name)) for name in _TLS_AS_IS)
    data['tls'] = tls
    # SMTP AUTH's realm defaults to the host's FQDN (its facts); libsasl's config file is the platform's.
    data['auth'] = dict(enabled=role('auth'), mechanisms=role('auth_mechanisms'), submission=role('auth_submission'),
                        realm=value('sendmail_auth_realm') or (facts or {}).get('fqdn') or '',
                        conf_file=value('__sendmail_sasl_conf') or '', backend=role('auth_backend'),
                        saslauthd_defaults=value('__sendmail_saslauthd_defaults') or '')
    data['smart_host_auth'] = dict(user=role('smart_host_auth_user'), mechanisms=role('smart_host_auth_mechanisms'),
                                   port=role('smart_host_port'))
    return _defined(data)


def _listen_default(mode):
    return LISTEN_DEFAULTS.get(mode, []) if isinstance(mode, str) else []


def _defined(data):
    """data without the settings whose variable is undefined, in nested settings too."""
    return dict((key, _defined(item) if isinstance(item, dict) else item) for key, item in data.items()
                if item is not UNDEFINED)


def _map(name, platform, group, mode, **extra):
    """A makemap source in the configuration directory: checked as a map, rebuilt into its .db."""
    helper, conf_dir, map_type = platform['helper'], platform['conf_dir'], platform['map_type']
    path = '%s/%s' % (conf_dir, name)
    entry = dict(id=name, path=path, template=name + '.j2', keep_attributes=True, owner='root', group=group,
                 mode=mode, validate=[helper, 'check-map', map_type, '%s'],
                 post_command=[helper, 'build-map', map_type, path], built=path + '.db')
    entry.update(extra)
    return entry


def _class_file(name, platform, names):
    """A class file sendmail reads at start (relay-domains, local-host-names): a change restarts it."""
    return dict(id=name, path='%s/%s' % (platform['conf_dir'], name), template='class-file.j2',
                vars={'__sendmail_class_names': list(names)}, keep_attributes=True, owner='root',
                group=platform['conf_group'], mode='0644', triggers=['restart'])


def file_table(policy, platform):
    """The table for a valid policy (what sendmail_policy returns under ``policy``) and the platform's
    names and paths (PLATFORM_KEYS), in the order the files are written."""
    helper, conf_dir, group = platform['helper'], platform['conf_dir'], platform['conf_group']
    aliases_file = platform['aliases_file']
    tls_files = list(policy['tls']['files'])
    cf_requirements = list(policy['cf_requirements'])
    return [
        # A backup copy would be a second, stale helper on root's PATH.
        dict(id='helper', path=helper, file='mailops-sendmail', owner='root', group='root', mode='0755', phase=0,
             backup=False),
        # --diff shows AuthInfo lines (old and new) only as a placeholder: they carry passwords.
        _map('access', platform, 'root', '0600', diff_hide='(?i)^AuthInfo:'),
        _map('virtusertable', platform, group, '0644'),
        _map('mailertable', platform, group, '0644'),
        _map('genericstable', platform, group, '0644'),
        # The ":include:" list files, one per sendmail_alias_files entry (its path, owner, group and mode).
        # host_state checks where each goes (path_safety): a list file whose path or a parent directory is a
        # symbolic link, or whose directory others than root may write in, is refused before anything changes;
        # the directories missing on its path are made (root, 0755), existing ones are never re-owned or re-moded.
        dict(id='lists', each=list(policy['alias_files']), template='alias-file.j2'),
        # The file named, not the one sendmail.cf names: sendmail.mc, and the cf built from it, come last.
        dict(id='aliases', path=aliases_file, template='aliases.j2', keep_attributes=True, owner='root',
             group='root', mode='0644', validate=[helper, 'check-aliases', '%s'],
             post_command=['newaliases', '-oA' + aliases_file], built=aliases_file + '.db'),
        _class_file('relay-domains', platform, policy['relay_domains']),
        _class_file('local-host-names', platform, policy['local_host_names']),
        # STARTTLS (docs/tls.md): the certificate, CA and key PEMs of the inventory (none when
        # sendmail_tls_*_file name files already on the host), each the text of its variable (tls-pem.j2 reads
        # it by name, so no PEM is part of the table). Owner and mode are always put back: sendmail turns
        # STARTTLS off for a key others may read. The key is secret: its text goes to the host in a no_log
        # argument and --diff shows a placeholder. sendmail reads them only at start: a change restarts it.
        dict(id='tls', each=[f for f in tls_files if not f.get('secret')], template='tls-pem.j2', owner='root',
             group='root', triggers=['restart']),
        dict(id='tls-key', each=[f for f in tls_files if f.get('secret')], template='tls-pem.j2', owner='root',
             group='root', secret=True, triggers=['restart']),
        # SMTP AUTH (docs/auth.md): the SASL config libsasl reads for sendmail (sasldb2, the mechanisms).
        # Without it libsasl may take the package's saslauthd setting and refuse every password with 535.
        # sendmail reads it only at start: a change restarts it.
        dict(id='sasl-conf', each=list(policy['auth']['files']), template='sasl-conf.j2', owner='root',
             group='root', triggers=['restart']),
        # sendmail_auth_backend saslauthd: the daemon's settings file (Debian's /etc/default/saslauthd), which
        # saslauthd reads only at start: a change restarts it (tasks/saslauthd.yml).
        dict(id='saslauthd', each=list(policy['auth']['daemon_files']), template='saslauthd-default.j2',
             owner='root', group='root', triggers=['saslauthd']),
        # Last: when its sendmail.cf is built (and sendmail restarted), every map and class file it reads is in
        # place; a failure before leaves the running configuration as it was. What the sendmail.cf built from
        # it must show besides what every working cf has: each FEATURE the mc calls, as m4 traced it, and each
        # DNSBL zone (the policy's cf_requirements).
        dict(id='mc', path=conf_dir + '/sendmail.mc', template='sendmail.mc.j2', keep_attributes=True,
             owner='root', group=group, mode='0644', validate=[helper, 'check-mc', '%s'] + cf_requirements,
             post_command=[helper, 'build-cf', conf_dir + '/sendmail.mc', conf_dir + '/sendmail.cf']
             + cf_requirements,
             built=conf_dir + '/sendmail.cf', triggers=['restart']),
    ]
