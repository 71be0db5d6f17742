"""The inbox the replies go to: what comes back steers tomorrow's plan (issue 16).

Each run, before planning, reads the messages that arrived since the last one it saw and
sorts each out: a bounce marks the address bad, an auto-reply is noted and changes nothing,
a debtor's own reply pauses that debtor until the owner has dealt with it. One concern a
module, imported on use (`import xlsdun.inbox` loads no IMAP library):

  settings.py  `InboxConfig`, the `[inbox]` table's values (config.py reads the table)
  fetch.py     the IMAP session (imapclient): login, new UIDs by folder with UIDVALIDITY
  body.py      a message's text: the plain part or the HTML's text, any charset
  replytext.py the reply's own lines: the quoted reminder stripped, in Hebrew and English
  classify.py  bounce (flufl.bounce + RFC 3464), auto-reply, or a human's mail
  hints.py     a date the reply names, "paid" / "שילמתי" / "העברתי": hints, never actions
  match.py     which debtor: In-Reply-To/References, else the sender's address
  store.py     the ledger's side (migration 5): mailbox state, processed, bad addresses, replies
  step.py      the run's step: read, sort out, record, each message once (`read_inbox`)
"""
