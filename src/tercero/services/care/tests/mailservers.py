"""Real mail servers on loopback for the tests: Dovecot (IMAP) started from a
throw-away configuration, and an SMTP server (aiosmtpd) that delivers every message it
accepts into the recipients' Dovecot mailboxes, as a mail server's local delivery
agent would."""

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from imapclient import IMAPClient

PASSWORD = "loopback-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Dovecot:
    def __init__(self, users: list[str]):
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        if not Path(binary).exists():
            raise RuntimeError("Dovecot is needed (Debian: dovecot-imapd; .ci/run installs it)")
        self.root = Path(tempfile.mkdtemp(prefix="tercero-dovecot-"))
        self.root.chmod(0o755)  # Dovecot's own users read the password file and mail
        self.port = free_port()
        for name in ("run", "state", "mail"):
            (self.root / name).mkdir()
        (self.root / "mail").chmod(0o777)
        (self.root / "users").write_text("".join(f"{user}:{{PLAIN}}{PASSWORD}\n" for user in users))
        config = self.root / "dovecot.conf"
        config.write_text(CONFIG.format(root=self.root, port=self.port))
        self.process = subprocess.Popen(
            [binary, "-c", str(config), "-F"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("Dovecot did not start")

    def client(self, user: str) -> IMAPClient:
        imap = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        imap.login(user, PASSWORD)
        return imap

    def deliver(self, user: str, raw: bytes) -> None:
        with self.client(user) as imap:
            imap.append("INBOX", raw)

    def messages(self, user: str, folder: str = "INBOX") -> list[bytes]:
        with self.client(user) as imap:
            if not imap.folder_exists(folder):
                return []
            imap.select_folder(folder, readonly=True)
            uids = imap.search(["NOT", "DELETED"])
            fetched = imap.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
            return [fetched[uid][b"BODY[]"] for uid in uids]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)


class Relay:
    """SMTP on loopback; each accepted message lands in the recipients' IMAP inboxes."""

    def __init__(self, dovecot: Dovecot):
        self.dovecot = dovecot
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_DATA(self, server, session, envelope):
        for recipient in envelope.rcpt_tos:
            self.dovecot.deliver(recipient.lower(), envelope.content)
        return "250 OK delivered"

    def stop(self) -> None:
        self.controller.stop()


CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:{root}/mail/%u
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
}}
service anvil {{
  chroot =
}}
"""
