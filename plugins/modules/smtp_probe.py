#!/usr/bin/python
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: smtp_probe
short_description: Ask an SMTP server whether it would accept recipients, without sending mail
description:
  - Opens an SMTP session from the host the module runs on, says EHLO, gives C(MAIL FROM) and one
    C(RCPT TO) per recipient, records each reply and says C(QUIT) before C(DATA). No message is ever sent.
  - Used by the role M(mailops.sendmail.sendmail) to prove, from a host that no policy trusts,
    that a server does not relay (O(expect=relay_denied)); also handy to check access, virtusertable and DNSBL policy.
  - Every run classifies what the server answered under RV(verdict) and explains under RV(reason) why the module
    passed or failed.
  - Read-only on the target server; always runs, also in check mode.
version_added: 0.1.0
author:
  - mailops team (@mailops)
options:
  host:
    description: Address or name of the SMTP server.
    type: str
    required: true
  port:
    description: TCP port of the SMTP server.
    type: int
    default: 25
  helo:
    description: Name given in EHLO. Defaults to the local host's FQDN.
    type: str
  mail_from:
    description:
      - Envelope sender given in C(MAIL FROM).
      - The empty string (or C(<>)) gives the null sender C(MAIL FROM:<>), which sendmail accepts without looking
        up a sender domain. A relay probe needs a sender the server accepts, so that the reply to C(RCPT TO) is
        the relay decision and not a verdict on the sender (sendmail refuses a sender whose domain does not
        resolve, C(553 5.1.8), and with C(FEATURE(delay_checks)) it does so at C(RCPT TO)).
    type: str
    default: ''
  rcpt_to:
    description:
      - Recipients, one C(RCPT TO) each. Required unless O(starttls) is true; without recipients the probe says
        C(QUIT) after EHLO (and STARTTLS), without C(MAIL FROM).
    type: list
    elements: str
    default: []
  starttls:
    description:
      - Say C(STARTTLS) after EHLO and hold the rest of the session encrypted (EHLO again). The probe fails unless
        EHLO offers C(STARTTLS) and the handshake succeeds, whatever O(expect) says; the certificate is not
        verified (sendmail's own check does that before the files are written).
      - Used by the role M(mailops.sendmail.sendmail) after every start and restart of a server with a certificate,
        since sendmail turns STARTTLS off without failing when its key is unsafe or does not match.
    type: bool
    default: false
    version_added: 0.1.0
  log_file:
    description:
      - When the probe fails, the last lines of this file that mention TLS (sendmail's C(STARTTLS=server)
        complaints) are returned under RV(log_lines) and quoted in the message. For a probe that runs on the mail
        server itself, with its mail log.
    type: path
    version_added: 0.1.0
  expect:
    description:
      - What makes the probe pass. Whatever the choice, a session that cannot be held (no connection, no C(220)
        greeting, EHLO and HELO refused, the server gone or silent mid-session) fails the module.
      - C(accept) fails unless every recipient gets a 2xx reply (a refused C(MAIL FROM) fails too).
      - C(reject) fails if any recipient gets a 2xx reply (for example an open relay). Any refusal counts as a
        pass, also of the sender, a temporary C(4xx) or a refusal of the client itself; use C(relay_denied) to
        prove that a server does not relay.
      - C(relay_denied) passes only if every recipient is refused with the relay denial (see
        O(relay_denied_pattern)), that is with a C(5xx) reply whose enhanced status code is C(5.7.1) and whose
        text matches O(relay_denied_pattern), as sendmail's C(550 5.7.1 <rcpt>... Relaying denied). It fails as
        C(relayed) if any recipient is accepted; it fails as inconclusive on any other reply (C(MAIL FROM)
        refused, a C(4xx), another C(5xx) code or text, a reply without an enhanced status code) and on
        connection problems, with the server's reply in the message.
      - C(any) only reports; a refused C(MAIL FROM) fails it all the same (as it does with C(accept)).
    type: str
    choices: [accept, reject, relay_denied, any]
    default: any
  relay_denied_pattern:
    description:
      - Python regular expression (searched, case-insensitive) that the text of a C(5xx) C(5.7.1) reply to
        C(RCPT TO) must match to count as a relay denial (RV(recipients[].relay_denied)).
      - The default matches sendmail's C(Relaying denied) (also with its C(Proper authentication required.) or
        C(IP name lookup failed) tails) and Postfix's C(Relay access denied), but not sendmail's C(Access denied)
        for a client refused by C(access), nor a DNSBL text. A server with its own C(confRELAY_MSG) needs its text
        here.
    type: str
    default: 'relay(ing)?( access)? denied'
  timeout:
    description: Seconds to wait for the server at each step.
    type: float
    default: 30
attributes:
  check_mode:
    description: Runs in check mode and holds the same session; the probe never sends a message (it says C(QUIT) before C(DATA)).
    support: full
  diff_mode:
    description: It changes nothing, so there is no diff.
    support: none
"""

EXAMPLES = r"""
- name: Prove that mx1 does not relay for an untrusted host (passes only on 5.7.1 Relaying denied)
  mailops.sendmail.smtp_probe:
    host: 198.51.100.3
    mail_from: ''   # the null sender: accepted without a sender domain check
    rcpt_to: [probe@relay-probe.invalid]
    expect: relay_denied
  delegate_to: outsider

- name: A relay probe of a server with its own relay message
  mailops.sendmail.smtp_probe:
    host: mx2.example.test
    rcpt_to: [probe@relay-probe.invalid]
    expect: relay_denied
    relay_denied_pattern: 'we do not relay'

- name: Check that a virtual user is accepted
  mailops.sendmail.smtp_probe:
    host: mx1.example.test
    mail_from: someone@other.test   # a sender the server accepts (its own domain's unknown users it refuses)
    rcpt_to: [sales@example.test]
    expect: accept

- name: Prove that a server offers STARTTLS and completes the handshake (no mail sent)
  mailops.sendmail.smtp_probe:
    host: 127.0.0.1
    starttls: true
    log_file: /var/log/mail.log

- name: Check that mail from a listed host is refused, whatever the reason
  mailops.sendmail.smtp_probe:
    host: mx2.example.test
    mail_from: probe@spammer.example.test
    rcpt_to: [dave@other.test]
    expect: reject
"""

RETURN = r"""
verdict:
  description:
    - What the server's replies show, the same for every O(expect).
    - C(accepted) every recipient got a 2xx reply; C(partly_accepted) some did, some did not.
    - C(relay_denied) every recipient was refused with the relay denial (see O(expect)).
    - C(refused) no recipient was accepted, and not every refusal was the relay denial.
    - C(sender_refused) C(MAIL FROM) was refused, so no recipient was given.
    - C(no_session) the session could not be held (connection refused or timed out, no C(220) greeting,
      EHLO and HELO refused, the server gone or silent mid-session).
    - C(starttls) with O(starttls) and no O(rcpt_to), the server offered STARTTLS and the handshake succeeded;
      a failed STARTTLS is C(no_session).
  returned: always
  type: str
  sample: relay_denied
reason:
  description:
    - Why the module passed or failed, with the server's replies. With O(expect=relay_denied) it starts with
      C(relay denied), C(relayed) or C(inconclusive).
  returned: always
  type: str
  sample: "relay denied: every recipient was refused with the relay denial: <probe@relay-probe.invalid> 550 5.7.1
    <probe@relay-probe.invalid>... Relaying denied"
banner:
  description: The server's greeting (with its code when it was not C(220)); null when no connection was made.
  returned: always
  type: str
  sample: "mx1.example.test ESMTP Sendmail 8.17.1.9/8.17.1.9"
mail_from:
  description: Code and text of the reply to MAIL FROM; null when it was not given.
  returned: always
  type: dict
  sample: {code: 250, text: "2.1.0 <>... Sender ok"}
recipients:
  description:
    - Per recipient asked, the code, text and enhanced status code (C(status), null when the reply had none) of the
      reply to RCPT TO, whether it was accepted (2xx) and whether it was the relay denial.
  returned: always
  type: list
  elements: dict
  sample: [{rcpt: probe@relay-probe.invalid, code: 550, status: "5.7.1", text: "5.7.1 <probe@relay-probe.invalid>...
      Relaying denied", accepted: false, relay_denied: true}]
  contains:
    rcpt:
      description: The recipient as given in O(rcpt_to).
      type: str
    code:
      description: The reply code to C(RCPT TO).
      type: int
    status:
      description: The enhanced status code of the reply, null when it had none.
      type: str
    text:
      description: The text of the reply.
      type: str
    accepted:
      description: Whether the reply was a C(2xx).
      type: bool
    relay_denied:
      description: Whether the reply was the relay denial (see O(relay_denied_pattern)).
      type: bool
tls:
  description:
    - With O(starttls), whether EHLO offered STARTTLS and the protocol and cipher the handshake agreed.
  returned: always
  type: dict
  sample: {offered: true, version: TLSv1.3, cipher: TLS_AES_256_GCM_SHA384}
log_lines:
  description: The lines of O(log_file) that mention TLS, the last ones, when the probe failed.
  returned: when the probe failed and O(log_file) was given
  type: list
  elements: str
  sample: ["sm-mta[123]: STARTTLS=server, error: SSL_CTX_check_private_key failed(/etc/mail/tls/mailops.key): 0"]
error:
  description: What broke the session (with RV(verdict=no_session)), for example C(ConnectionRefusedError ...).
  returned: when the session could not be held
  type: str
  sample: "ConnectionRefusedError: [Errno 111] Connection refused"
"""

import re
import smtplib
import socket
import ssl

from ansible.module_utils.basic import AnsibleModule

_STATUS = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)")


def _text(reply):
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _status(code, text):
    """The enhanced status code (RFC 3463) that opens a reply's text, if its class matches the reply code."""
    match = _STATUS.match(text)
    if match and match.group(1) == str(code)[0]:
        return match.group(0)
    return None


def _reply(code, text):
    return "%d %s" % (code, text) if code is not None else text


def _converse(params):
    """Run the SMTP dialogue up to RCPT TO and return what the server said; a broken session is
    recorded under 'error' with what was said until then."""
    result = {"banner": None, "mail_from": None, "recipients": [], "tls": {"offered": None}}
    server = smtplib.SMTP(timeout=params["timeout"], local_hostname=params["helo"] or socket.getfqdn())
    try:
        code, banner = server.connect(params["host"], params["port"])
        if code != 220:
            result["banner"] = _reply(code, _text(banner))
            result["error"] = "no 220 greeting: %s" % result["banner"]
            return result
        result["banner"] = _text(banner)
        server.ehlo_or_helo_if_needed()
        if params["starttls"]:
            result["tls"]["offered"] = server.has_extn("starttls")
            if not result["tls"]["offered"]:
                result["error"] = "EHLO does not offer STARTTLS: %s" % " ".join(
                    sorted(name.upper() for name in server.esmtp_features))
                return result
            # Only whether TLS works: whose certificate it is, is checked before the files are written.
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            server._host = params["host"]   # the name for SNI; connect() leaves it empty on some Pythons
            server.starttls(context=context)
            result["tls"].update(version=server.sock.version(), cipher=server.sock.cipher()[0])
            server.ehlo()
        if not params["rcpt_to"]:
            return result
        code, text = server.mail(params["mail_from"])
        result["mail_from"] = {"code": code, "text": _text(text)}
        if code >= 400:
            return result
        for rcpt in params["rcpt_to"]:
            code, text = server.rcpt(rcpt)
            text = _text(text)
            status = _status(code, text)
            result["recipients"].append({
                "rcpt": rcpt, "code": code, "text": text, "status": status, "accepted": 200 <= code < 300,
                "relay_denied": (500 <= code < 600 and status == "5.7.1"
                                 and re.search(params["relay_denied_pattern"], text, re.IGNORECASE) is not None)})
            if code == 421:   # the server closes the session
                result["error"] = "the server closed the session: %s" % _reply(code, text)
                break
        return result
    except smtplib.SMTPHeloError as exc:
        result["error"] = "EHLO and HELO refused: %s" % _reply(exc.smtp_code, _text(exc.smtp_error))
        return result
    except (smtplib.SMTPException, OSError) as exc:   # ssl.SSLError is an OSError
        result["error"] = "%s: %s" % (type(exc).__name__, exc)
        return result
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            server.close()


def _replies(recipients):
    return "; ".join("<%s> %s" % (r["rcpt"], _reply(r["code"], r["text"])) for r in recipients)


def verdict_of(result, params):
    """What the server's replies show: see RETURN."""
    recipients = result["recipients"]
    if result.get("error") or result["mail_from"] is None:
        return "no_session"
    if result["mail_from"]["code"] >= 400:
        return "sender_refused"
    accepted = [r for r in recipients if r["accepted"]]
    if accepted:
        return "accepted" if len(accepted) == len(recipients) else "partly_accepted"
    if recipients and all(r["relay_denied"] for r in recipients):
        return "relay_denied"
    return "refused"


def decide(result, params, where):
    """(failed, verdict, reason) for these replies and params['expect']."""
    verdict = verdict_of(result, params)
    expect = params["expect"]
    recipients = result["recipients"]
    accepted = [r for r in recipients if r["accepted"]]
    others = [r for r in recipients if not r["accepted"] and not r["relay_denied"]]

    if verdict == "no_session":
        said = (" after %s" % _replies(recipients)) if recipients else ""
        reason = "no SMTP session with %s: %s%s" % (where, result.get("error") or "no reply", said)
        return True, verdict, ("inconclusive: " + reason) if expect == "relay_denied" else reason
    if verdict == "sender_refused":
        reason = "%s refused MAIL FROM <%s>: %s" % (
            where, params["mail_from"], _reply(result["mail_from"]["code"], result["mail_from"]["text"]))
        if expect == "reject":
            return False, verdict, reason + " (counts as a refusal with expect=reject)"
        if expect == "relay_denied":
            return True, verdict, ("inconclusive: %s, so the relay decision was never asked for; "
                                   "use a sender the server accepts (the null sender '')" % reason)
        return True, verdict, reason

    if expect == "relay_denied":
        if accepted:
            return True, verdict, "relayed: %s accepted recipients from this host (open relay): %s" % (
                where, _replies(accepted))
        if verdict == "relay_denied":
            return False, verdict, "relay denied: every recipient was refused with the relay denial: %s" % (
                _replies(recipients))
        return True, verdict, ("inconclusive: %s refused without the relay denial (5xx, 5.7.1, text matching %r), "
                               "so the relay decision is unknown: %s" % (where, params["relay_denied_pattern"],
                                                                         _replies(others)))
    if expect == "reject" and accepted:
        return True, verdict, "%s accepted what it should refuse (open relay?): %s" % (where, _replies(accepted))
    refused = [r for r in recipients if not r["accepted"]]
    if expect == "accept" and refused:
        return True, verdict, "%s refused: %s" % (where, _replies(refused))
    return False, verdict, "%s answered as expected (%s): %s" % (where, expect, _replies(recipients))


def tls_log_lines(path, keep=5, tail=256 * 1024):
    """The last ``keep`` lines of the end of ``path`` that mention TLS (sendmail's STARTTLS complaints)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            handle.seek(max(0, handle.tell() - tail))
            lines = handle.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return []
    return [line for line in lines if re.search(r"STARTTLS|TLS|SSL", line)][-keep:]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type="str", required=True),
            port=dict(type="int", default=25),
            helo=dict(type="str"),
            mail_from=dict(type="str", default=""),
            rcpt_to=dict(type="list", elements="str", default=[]),
            starttls=dict(type="bool", default=False),
            log_file=dict(type="path"),
            expect=dict(type="str", choices=["accept", "reject", "relay_denied", "any"], default="any"),
            relay_denied_pattern=dict(type="str", default="relay(ing)?( access)? denied"),
            timeout=dict(type="float", default=30),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        re.compile(p["relay_denied_pattern"])
    except re.error as exc:
        module.fail_json(msg="relay_denied_pattern is not a regular expression: %s" % exc)
    if not p["rcpt_to"] and not p["starttls"]:
        module.fail_json(msg="rcpt_to needs at least one recipient (or starttls: true)")
    if p["mail_from"].strip() == "<>":
        p["mail_from"] = ""
    where = "%s:%d" % (p["host"], p["port"])
    result = _converse(p)
    if p["starttls"] and (result.get("error") or not p["rcpt_to"]):
        failed, verdict = bool(result.get("error")), "no_session" if result.get("error") else "starttls"
        reason = ("STARTTLS failed on %s: %s" % (where, result["error"]) if failed else
                  "%s offers STARTTLS: %s, %s" % (where, result["tls"]["version"], result["tls"]["cipher"]))
    else:
        failed, verdict, reason = decide(result, p, where)
    if failed and p["log_file"]:
        result["log_lines"] = tls_log_lines(p["log_file"])
        if result["log_lines"]:
            reason += ("; the mail log (%s) says: %s" % (p["log_file"], " | ".join(result["log_lines"][-3:])))
        if p["starttls"] and not result["tls"]["offered"]:
            reason += ("; sendmail offers no STARTTLS when it cannot use its certificate and key: a key that others "
                       "than root may read, or in a group- or world-writable directory, a key that does not match "
                       "the certificate, a file it cannot read")
    if failed:
        module.fail_json(msg=reason, verdict=verdict, reason=reason, **result)
    module.exit_json(changed=False, verdict=verdict, reason=reason, **result)


if __name__ == "__main__":
    main()
