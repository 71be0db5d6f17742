"""Helpers the test modules share: the sample and the CLI (sample_setup), real workbooks
built and compared part by part (workbooks), invoices, actions and read-back messages
(message_setup), a scripted SMTP server (smtp_server), and processes seen from /proc
(processes).

Test modules import them as `from support.sample_setup import ...`: pytest puts tests/ on
sys.path (rootdir conftest, default "prepend" import mode), so this works from `make test`,
from `pytest tests/test_x.py` and from CI alike. Fixtures stay in tests/conftest.py."""
