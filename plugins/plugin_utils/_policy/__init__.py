# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Merge and validate the policy of a sendmail server, in plain Python.

The role ``mailops.sendmail.sendmail`` calls :func:`build_policy` (through the
action ``mailops.sendmail.sendmail_policy`` or the filter of the same name) on
the controller before it changes any host.  The templates only render the
merged, valid lists that come back, so they hold no logic.

One module per concern (the grammar they share, names, addresses, ports, paths and entry shapes, is
``plugin_utils/_grammar``, beside the fqdn role's check ``_fqdn`` and the listen check ``_listen``):

``_m4``       what an mc value may hold so that it stays data, never m4 code
``_access``   the access map, tag by tag: keys and values
``_relay``    the one open-relay judgement (access, relay-domains, features, raw lines)
``_maps``     relay-domains, local-host-names, DNSBL, virtusertable, mailertable, genericstable, aliases,
              list files
``_layers``   the layered merge (base, group, host) driven by one table
``_mc``       listen entries, smart host, features, defines, raw mc lines, masquerading
``_texts``    the large maps as ready text for the templates
``_tls``      the STARTTLS files and options (sendmail_tls_*)
``_auth``     SMTP AUTH, its users and the submission listener (sendmail_auth_*)
``_milters``  the mail filters (sendmail_milters, sendmail_input_mail_filters)

Every problem becomes one line of ``errors`` that names the variable, the
entry and the reason; all of them are collected, none stops the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._access import access_cross_errors, looks_like_authinfo
from ._auth import auth_settings, smart_host_auth
from ansible_collections.mailops.sendmail.plugins.plugin_utils._grammar import _kind
from ._layers import _MAP_SPECS, LAYERED_KEYS, _merge_map
from ._maps import _include_errors, _with_required_aliases, genericstable_cross_errors, mailertable_cross_errors
from ._milters import milters
from ._mc import (_defines, _features, _listen, _mc_extra_lines, _options, _smart_host, cf_requirements, masquerade,
                  raw_daemons, sendmail_version)
from ._texts import policy_texts
from ._tls import tls_settings

__all__ = ['LAYERED_KEYS', 'build_policy', 'policy_texts']


def build_policy(data: Mapping | None) -> dict:
    """Merge the layered policy maps and validate everything.

    Returns the merged, valid lists and ``errors``: one line per problem, all
    of them; the policy is usable only when ``errors`` is empty.
    """
    errors: list[str] = []
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        errors.append(f'sendmail policy: the input must be a mapping, got {_kind(data)}')
        data = {}
    opts = _options(data, errors)
    mode = data.get('mode', 'server')
    if mode not in ('server', 'client'):
        errors.append(f"sendmail_mode: must be 'server' or 'client', got {mode!r}")
    result: dict[str, Any] = {'errors': errors}
    merged = {spec.name: _merge_map(data, spec, opts, errors) for spec in _MAP_SPECS}
    for name, (entries, _absent) in merged.items():
        result[name] = [output for _label, output in entries.values()]
    result['aliases'] = _with_required_aliases(result['aliases'])
    result['alias_files_absent'] = list(merged['alias_files'][1].values())
    errors.extend(_include_errors(merged['aliases'][0], merged['alias_files'][0], merged['alias_files'][1],
                                  opts.member_rules['file'] is None))
    errors.extend(access_cross_errors(merged['access'][0]))
    # AuthInfo entries hold passwords: the role keeps the results and diffs that carry the map out of logs.
    result['secrets'] = any(entry['key'][:9].lower() == 'authinfo:' or looks_like_authinfo(entry['action'])
                            for entry in result['access'])
    result['listen'] = _listen(data.get('listen'), errors)
    result['smart_host'] = _smart_host(data.get('smart_host'), errors)
    if mode == 'client' and not data.get('smart_host'):
        errors.append('sendmail_smart_host: required in client mode (sendmail_mode: client): '
                      'name the relay that takes this host\'s mail')
    # The host's sendmail release (the role's vars per platform): names its cf tree lacks are refused.
    version = sendmail_version(data.get('sendmail_version'), errors)
    result['features'] = _features(data.get('features'), opts.allow_open_relay, errors, version)
    result['defines'] = _defines(data.get('defines'), errors, version)
    # STARTTLS (sendmail_tls_*): its own defines and files, apart from sendmail_defines.
    result['tls'] = tls_settings(data.get('tls'), result['defines'], errors)
    # SMTP AUTH (sendmail_auth_*): needs the STARTTLS above; adds the MSA listener on 587.
    result['auth'] = auth_settings(data.get('auth'), mode, result['tls'], result['listen'], result['defines'], errors)
    # An authenticated smart host (sendmail_smart_host_auth_*): its AuthInfo entry joins the access map (a secret).
    relay_auth = smart_host_auth(data.get('smart_host_auth'), result['smart_host'], result['tls'], result['access'],
                                 result['defines'], errors)
    result['access'] += relay_auth['access']
    result['secrets'] = result['secrets'] or bool(relay_auth['access'])
    result['auth']['relay_defines'] = relay_auth['defines']
    result['auth']['client'] = bool(relay_auth['access'])
    # Mail filters (INPUT_MAIL_FILTER): the socket, flags and timeouts of each, as data.
    result['milters'] = milters(data.get('milters'), data.get('input_mail_filters'), errors)
    result['mc_extra_lines'] = _mc_extra_lines(data.get('mc_extra_lines'), opts.allow_open_relay, errors)
    result['listen'] += raw_daemons(result['mc_extra_lines'])
    if result['auth']['msa'] and any('Local_check_rcpt' in line for line in result['mc_extra_lines']):
        errors.append('sendmail_mc_extra_lines: a Local_check_rcpt ruleset of its own clashes with the one the role '
                      'writes for its MSA (sendmail_auth_submission); set sendmail_auth_submission: false and list '
                      'the 587 listener in sendmail_listen')
    errors.extend(mailertable_cross_errors(result['mailertable'], result['mc_extra_lines'], result['local_host_names']))
    result['mailertable'] = [{'domain': e['domain'], 'route': e['route']} for e in result['mailertable']]
    # Masquerading and genericstable: mc settings of their own and the map's class G cross check.
    result['masquerade'] = masquerade(data, errors)
    errors.extend(genericstable_cross_errors(result['genericstable'], result['masquerade']['generics_domains'],
                                             'generics_entire_domain' in result['masquerade']['features']))
    result['cf_requirements'] = cf_requirements(
        result['features'] + [{'name': name} for name in result['masquerade']['features']], result['dnsbl'])
    return result
