"""SecretBox: where keys come from, rotation, and errors that never show a key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from ledgerbridge.domain.errors import ConfigError
from ledgerbridge.store.crypto import GENERATED_KEY_FILE, KEY_ENV, KEY_FILE_ENV, SecretBox


@pytest.fixture
def no_docker_secret(tmp_path: Path) -> Path:
    return tmp_path / "absent-docker-secret"


def test_round_trips() -> None:
    box = SecretBox([SecretBox.generate_key()])
    blob = box.encrypt_json({"refresh_token": "abc", "n": 1})
    assert b"abc" not in blob
    assert box.decrypt_json(blob) == {"refresh_token": "abc", "n": 1}
    assert box.decrypt_text(box.encrypt_text("héllo")) == "héllo"


def test_rotation_first_key_encrypts_all_keys_decrypt() -> None:
    old, new = SecretBox.generate_key(), SecretBox.generate_key()
    old_blob = SecretBox([old]).encrypt_text("token")
    rotating = SecretBox([new, old])
    assert rotating.decrypt_text(old_blob) == "token"
    new_blob = rotating.encrypt_text("token")
    assert SecretBox([new]).decrypt_text(new_blob) == "token"
    with pytest.raises(ConfigError):
        SecretBox([old]).decrypt_text(new_blob)
    assert SecretBox([new]).decrypt_text(rotating.rotate(old_blob)) == "token"


def test_wrong_key_names_the_problem_not_the_key() -> None:
    blob = SecretBox([SecretBox.generate_key()]).encrypt_text("x")
    wrong = SecretBox.generate_key()
    with pytest.raises(ConfigError, match="cannot be decrypted") as info:
        SecretBox([wrong]).decrypt_text(blob)
    assert wrong not in str(info.value)
    assert KEY_ENV in str(info.value)


def test_invalid_key_is_refused_without_echo() -> None:
    bad = "not-a-real-key-but-maybe-a-typo"
    with pytest.raises(ConfigError, match="secret key number 2 is not a valid Fernet key") as info:
        SecretBox([SecretBox.generate_key(), bad])
    assert bad not in str(info.value)
    with pytest.raises(ConfigError, match="no secret key"):
        SecretBox([" "])
    assert "key" in repr(SecretBox([SecretBox.generate_key()]))


def test_from_inline_variable_with_several_keys(tmp_path: Path, no_docker_secret: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    blob = SecretBox([old]).encrypt_text("t")
    box = SecretBox.from_environment(
        tmp_path,
        allow_generate=False,
        environ={KEY_ENV: f" {new} , {old} "},
        secret_file=no_docker_secret,
    )
    assert box.key_count == 2
    assert box.decrypt_text(blob) == "t"
    assert not (tmp_path / GENERATED_KEY_FILE).exists()


def test_from_key_file_variable(tmp_path: Path, no_docker_secret: Path) -> None:
    key = SecretBox.generate_key()
    key_file = tmp_path / "key.txt"
    key_file.write_text(key + "\n")
    box = SecretBox.from_environment(
        tmp_path,
        allow_generate=False,
        environ={KEY_FILE_ENV: str(key_file)},
        secret_file=no_docker_secret,
    )
    assert SecretBox([key]).decrypt_text(box.encrypt_text("t")) == "t"
    with pytest.raises(ConfigError, match=f"{KEY_FILE_ENV} points at"):
        SecretBox.from_environment(
            tmp_path,
            allow_generate=True,
            environ={KEY_FILE_ENV: str(tmp_path / "missing")},
            secret_file=no_docker_secret,
        )
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(ConfigError, match="holds no key"):
        SecretBox.from_environment(
            tmp_path, allow_generate=False, environ={KEY_FILE_ENV: str(empty)}
        )


def test_from_container_secret_file(tmp_path: Path) -> None:
    key = SecretBox.generate_key()
    docker_secret = tmp_path / "ledgerbridge_secret_key"
    docker_secret.write_text(key)
    box = SecretBox.from_environment(
        tmp_path, allow_generate=True, environ={}, secret_file=docker_secret
    )
    assert SecretBox([key]).decrypt_text(box.encrypt_text("t")) == "t"
    assert not (tmp_path / GENERATED_KEY_FILE).exists()


def test_generated_key_file_is_private_and_reused(tmp_path: Path, no_docker_secret: Path) -> None:
    data_dir = tmp_path / "data"
    first = SecretBox.from_environment(
        data_dir, allow_generate=True, environ={}, secret_file=no_docker_secret
    )
    key_file = data_dir / GENERATED_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    blob = first.encrypt_text("kept")
    again = SecretBox.from_environment(
        data_dir, allow_generate=True, environ={}, secret_file=no_docker_secret
    )
    assert again.decrypt_text(blob) == "kept"
    assert [p.name for p in data_dir.iterdir()] == [GENERATED_KEY_FILE]


def test_missing_key_says_what_to_set(tmp_path: Path, no_docker_secret: Path) -> None:
    with pytest.raises(ConfigError) as info:
        SecretBox.from_environment(
            tmp_path, allow_generate=False, environ={}, secret_file=no_docker_secret
        )
    message = str(info.value)
    assert KEY_ENV in message
    assert KEY_FILE_ENV in message
    assert str(no_docker_secret) in message
    assert "Fernet.generate_key()" in message
    assert not (tmp_path / GENERATED_KEY_FILE).exists()
