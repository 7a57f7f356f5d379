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
    that a server does not relay; also handy to check access, virtusertable and DNSBL policy.
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
    description: Envelope sender given in C(MAIL FROM).
    type: str
    required: true
  rcpt_to:
    description: Recipients, one C(RCPT TO) each.
    type: list
    elements: str
    required: true
  expect:
    description:
      - C(accept) fails unless every recipient gets a 2xx reply.
      - C(reject) fails if any recipient gets a 2xx reply (for example an open relay).
      - C(any) only reports.
    type: str
    choices: [accept, reject, any]
    default: any
  timeout:
    description: Seconds to wait for the server at each step.
    type: float
    default: 30
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Prove that mx1 does not relay for an untrusted host
  mailops.sendmail.smtp_probe:
    host: 198.51.100.3
    mail_from: probe@outsider.example.test
    rcpt_to: [probe@relay-probe.invalid]
    expect: reject
  delegate_to: outsider

- name: Check that a virtual user is accepted
  mailops.sendmail.smtp_probe:
    host: mx1.example.test
    mail_from: someone@example.test
    rcpt_to: [sales@example.test]
    expect: accept
"""

RETURN = r"""
banner:
  description: The server's greeting.
  returned: success
  type: str
  sample: "220 mx1.example.test ESMTP Sendmail 8.17.1.9/8.17.1.9"
mail_from:
  description: Code and text of the reply to MAIL FROM.
  returned: success
  type: dict
  sample: {code: 250, text: "2.1.0 <probe@outsider.example.test>... Sender ok"}
recipients:
  description: Per recipient, the code and text of the reply to RCPT TO, and whether it was accepted.
  returned: success
  type: list
  elements: dict
  sample: [{rcpt: probe@relay-probe.invalid, code: 550, text: "5.7.1 <probe@relay-probe.invalid>... Relaying denied", accepted: false}]
"""

import smtplib
import socket

from ansible.module_utils.basic import AnsibleModule


def _text(reply):
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _converse(params):
    """Run the SMTP dialogue up to RCPT TO and return what the server said."""
    server = smtplib.SMTP(timeout=params["timeout"], local_hostname=params["helo"] or socket.getfqdn())
    try:
        code, banner = server.connect(params["host"], params["port"])
        if code != 220:
            return {"banner": "%d %s" % (code, _text(banner)), "mail_from": None, "recipients": []}
        server.ehlo_or_helo_if_needed()
        code, text = server.mail(params["mail_from"])
        result = {"banner": _text(banner), "mail_from": {"code": code, "text": _text(text)}, "recipients": []}
        if code >= 400:
            return result
        for rcpt in params["rcpt_to"]:
            code, text = server.rcpt(rcpt)
            result["recipients"].append({"rcpt": rcpt, "code": code, "text": _text(text), "accepted": 200 <= code < 300})
        return result
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            server.close()


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type="str", required=True),
            port=dict(type="int", default=25),
            helo=dict(type="str"),
            mail_from=dict(type="str", required=True),
            rcpt_to=dict(type="list", elements="str", required=True),
            expect=dict(type="str", choices=["accept", "reject", "any"], default="any"),
            timeout=dict(type="float", default=30),
        ),
        supports_check_mode=True,
    )
    p = module.params
    where = "%s:%d" % (p["host"], p["port"])
    try:
        result = _converse(p)
    except (smtplib.SMTPException, OSError) as exc:
        module.fail_json(msg="SMTP conversation with %s failed: %s" % (where, exc))

    if result["mail_from"] is None:
        module.fail_json(msg="%s did not greet with 220: %s" % (where, result["banner"]), **result)
    if result["mail_from"]["code"] >= 400:
        if p["expect"] == "reject":
            module.exit_json(changed=False, **result)
        module.fail_json(msg="%s refused MAIL FROM <%s>: %d %s" % (where, p["mail_from"], result["mail_from"]["code"],
                                                                   result["mail_from"]["text"]), **result)
    accepted = [r for r in result["recipients"] if r["accepted"]]
    refused = [r for r in result["recipients"] if not r["accepted"]]
    if p["expect"] == "reject" and accepted:
        module.fail_json(msg="%s accepted what it should refuse (open relay?): %s" % (
            where, "; ".join("<%s> %d %s" % (r["rcpt"], r["code"], r["text"]) for r in accepted)), **result)
    if p["expect"] == "accept" and refused:
        module.fail_json(msg="%s refused: %s" % (
            where, "; ".join("<%s> %d %s" % (r["rcpt"], r["code"], r["text"]) for r in refused)), **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
