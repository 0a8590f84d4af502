"""What `make run` shows a newcomer: the banner is not buried under e-mails."""

from tests.test_security import run_manage

SEND = (
    "from django.core.mail import send_mail; "
    "send_mail('新报单 HB-202612-00001', '请在30分钟内签收。', None, ['a@example.cn'])"
)


def test_development_keeps_e_mails_as_files_not_in_the_log(tmp_path):
    mail = tmp_path / "mail"
    result = run_manage(
        "shell",
        "-c",
        SEND,
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}",
        EMAIL_FILE_PATH=str(mail),
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "Content-Type" not in output and "Subject" not in output
    (message,) = mail.iterdir()
    assert "Subject: =?utf-8?" in message.read_text()


def test_an_email_url_still_chooses_the_backend(tmp_path):
    result = run_manage(
        "shell",
        "-c",
        SEND,
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}",
        EMAIL_URL="consolemail://",
        EMAIL_FILE_PATH=str(tmp_path / "mail"),
    )
    assert result.returncode == 0, result.stderr
    assert "Subject: =?utf-8?" in result.stdout
    assert not (tmp_path / "mail").exists()
