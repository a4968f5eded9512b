"""An adversarial pass over the safety guarantees (terminal, markup, keys, bounds), end to end:
each test is a way around a guard that was found open, and asserts the run is refused with one
line and that no planted key reaches any file the command (or a library it drives) wrote."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from oversight.cli.main import main
from tests.core.test_keyguard import PLANTED, keys, leaked, one_error  # noqa: F401  (keys is a fixture)
from tests.helpers.tui_runs import ROOT


@pytest.mark.parametrize("name", ["evil", "./evil", "{tmp}/evil", "file://{tmp}/evil"])
def test_task_hf_naming_a_local_folder_with_a_link_into_proc_is_refused(
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, keys: dict[str, str],
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str) -> None:
    """`datasets.load_dataset` takes a local folder too: one holding a link to /proc/self/environ
    would put the keys in the datasets cache (a file we made it write) and in the prompts. The
    link here goes to a copy of an environment outside every allowed folder (a test process's
    /proc/self/environ holds the environment it started with, not the planted keys)."""
    secret = tmp_path_factory.mktemp("outside") / "environ"
    secret.write_bytes(b"\0".join(f"{k}={v}".encode() for k, v in keys.items()))
    (tmp_path / "evil").mkdir()
    (tmp_path / "evil" / "train.txt").symlink_to(secret)
    (tmp_path / "evil" / "proc.txt").symlink_to("/proc/self/environ")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    exp = yaml.safe_load((ROOT / "protocols" / "summarize.yaml").read_text())
    exp["task"] = {"hf": name.format(tmp=tmp_path), "split": "train", "format": "pg19"}
    exp["models"] = {role: "scripted:echo" for role in exp["models"]}
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump(exp))
    assert main(["run", str(tmp_path / "exp.yaml"), "--runs-dir", str(tmp_path / "runs")]) == 2
    assert "task.hf" in one_error(capsys)
    assert leaked(tmp_path) == []
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_an_unknown_argument_with_escapes_is_echoed_inert(capsys: pytest.CaptureFixture[str]) -> None:
    """argparse echoes unrecognized arguments as typed (a pasted or generated command line)."""
    with pytest.raises(SystemExit) as exit_:
        main(["report", "x", "--\x1b]0;PWNED\x07\x9b2J"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized argument" in err and "␛]0;PWNED␇" in err
    assert not any(c in err for c in "\x1b\x07\x9b")
    assert err.count("\n") == 1 and err.startswith("error: oversight report: ")  # one line, no usage dump


def test_a_key_pasted_into_a_story_never_leaves_in_pieces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A key longer than a chunk (an Anthropic key is ~108 characters, a chunk may be 80) is cut
    across two chunks: neither call holds the whole value, but together they send all of it."""
    from oversight.models.providers import scripted

    key = "sk-ant-api03-" + "Q7x" * 32
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    words = " ".join(f"Word{i} is here." for i in range(60))
    (tmp_path / "story.txt").write_text(f"{words} {key} {words}\n")
    exp = yaml.safe_load((ROOT / "protocols" / "summarize.yaml").read_text())
    exp["task"] = {"path": "story.txt"}
    exp["models"] = {role: "scripted:pieces" for role in exp["models"]}
    exp["params"].update(chunk_tokens=20)
    exp.update(cache=True)
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump(exp))
    scripted.register("pieces", lambda messages: "A short summary.")
    monkeypatch.setenv("OVERSIGHT_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["run", str(tmp_path / "exp.yaml"), "--runs-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert "ANTHROPIC_API_KEY" in err, err
    sent = "".join(m.content for call in scripted.CALLS.get("pieces", []) for m in call)
    assert key[:24] not in sent and key[-24:] not in sent
    stored = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.name != "story.txt")
    assert key[:24].encode() not in stored and key[-24:].encode() not in stored


@pytest.mark.parametrize("secret", ['correct"horse\\battery-staple', "pässwörd-für-den-cluster", "tab\there-and-newline\nsecret"])
def test_a_secret_that_json_escapes_is_still_found_in_what_is_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], secret: str) -> None:
    """A password with a quote, a backslash or non-ASCII letters is written escaped in JSON
    (`\\"`, `\\\\`, `\\u00e4`): the escaped form is the same secret and must be refused too."""
    monkeypatch.setenv("LAB_DB_PASSWORD", secret)
    (tmp_path / "story.txt").write_text(f"The night shift wrote the password down: {secret}. " * 3 + "\n")
    exp = yaml.safe_load((ROOT / "protocols" / "summarize.yaml").read_text())
    exp["task"] = {"path": "story.txt"}
    exp["models"] = {role: "scripted:echo" for role in exp["models"]}
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump(exp))
    monkeypatch.setenv("OVERSIGHT_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["run", str(tmp_path / "exp.yaml"), "--runs-dir", str(tmp_path / "runs")]) == 2
    assert "LAB_DB_PASSWORD" in capsys.readouterr().err
    import json
    forms = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name != "story.txt":
            data = path.read_bytes()
            assert not [f for f in forms if f.encode() in data], path


def _gzip_bomb(megabytes: int) -> bytes:
    """`megabytes` MB of zeros, gzipped: about 1 KB per MB."""
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    return b"".join([*(packer.compress(b"0" * (1 << 20)) for _ in range(megabytes)), packer.flush()])


@pytest.mark.parametrize("status", [200, 500])
async def test_a_gzip_bomb_answer_is_refused_without_inflating_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 status: int) -> None:
    """A body's bound is on what it decodes to: 200 kB of gzip inflate to 200 MB (an error body
    is read by the SDK, an answer by us; both decoded in one piece before)."""
    import tracemalloc

    import httpx2

    from tests.helpers.http_fakes import FakeAPI, model_over
    from oversight.core.errors import ModelCallError
    from oversight.models import GenerateConfig
    from oversight.models.providers.openai import OpenAIProvider

    class Network(httpx2.AsyncByteStream):
        """The body as a socket gives it: in 64 kB pieces (a Response made from bytes is decoded
        whole by httpx itself, in the fake server)."""

        async def __aiter__(self) -> Any:
            for start in range(0, len(body), 1 << 16):
                yield body[start:start + (1 << 16)]

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    body = _gzip_bomb(200)
    api = FakeAPI(lambda request: httpx2.Response(status, headers={"content-type": "application/json",
                                                                   "content-encoding": "gzip"}, stream=Network()))
    model = model_over(OpenAIProvider, "openai:gpt-4.1-mini", api, tmp_path / "cache")
    tracemalloc.start()
    try:
        with pytest.raises(ModelCallError) as caught:
            await model.generate("Answer A or B.", GenerateConfig(max_tokens=5))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await model.aclose()
    assert ("answer too large" if status == 200 else "HTTP 500") in caught.value.reason
    assert peak < 24 * 1024 * 1024, f"{peak / 1e6:.0f} MB held for a 5-token call"
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.json"))


def _raw_deflate(data: bytes) -> bytes:
    import zlib

    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize("encoding,pack", [("gzip", "gzip"), ("deflate", "zlib"), ("deflate", "raw"), ("identity", "none")])
async def test_a_compressed_answer_within_its_bound_still_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                encoding: str, pack: str) -> None:
    import gzip
    import json
    import zlib

    import httpx2

    from tests.helpers.http_fakes import FakeAPI, model_over
    from oversight.models import GenerateConfig
    from oversight.models.providers.openai import OpenAIProvider

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    answer = {"id": "c", "choices": [{"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": "Answer: B, 80%. The clock ran slow."}}],
              "usage": {"prompt_tokens": 12, "completion_tokens": 9}}
    raw = json.dumps(answer).encode()
    body = {"gzip": gzip.compress, "zlib": zlib.compress, "raw": _raw_deflate, "none": bytes}[pack](raw)

    class Network(httpx2.AsyncByteStream):
        async def __aiter__(self) -> Any:
            for start in range(0, len(body), 7):  # cut anywhere, a zlib header included
                yield body[start:start + 7]

    api = FakeAPI(lambda request: httpx2.Response(200, headers={"content-type": "application/json",
                                                                "content-encoding": encoding}, stream=Network()))
    model = model_over(OpenAIProvider, "openai:gpt-4.1-mini", api, None)
    assert (await model.generate("Which?", GenerateConfig(max_tokens=64))).text == "Answer: B, 80%. The clock ran slow."
    await model.aclose()


async def test_an_answer_in_an_encoding_we_did_not_ask_for_is_a_failed_call(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx2

    from tests.helpers.http_fakes import FakeAPI, model_over
    from oversight.core.errors import ModelCallError
    from oversight.models import GenerateConfig
    from oversight.models.providers.openai import OpenAIProvider

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    seen: list[str] = []

    def reply(request: Any) -> Any:
        seen.append(request.headers.get("accept-encoding", ""))
        return httpx2.Response(200, headers={"content-encoding": "br"}, stream=httpx2.ByteStream(b"\x1b\x00\xff"))

    model = model_over(OpenAIProvider, "openai:gpt-4.1-mini", FakeAPI(reply), None)
    with pytest.raises(ModelCallError, match="content-encoding 'br'"):
        await model.generate("Which?", GenerateConfig(max_tokens=8))
    await model.aclose()
    assert seen and all(s == "gzip, deflate" for s in seen)


@pytest.mark.parametrize("name", ["API_KEY", "AZURE_OPENAI_KEY", "MISTRAL_APIKEY", "TOKEN", "HF_TOKEN", "SECRET"])
def test_a_key_under_a_common_name_outside_the_suffix_list_stops_a_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                         capsys: pytest.CaptureFixture[str], name: str) -> None:
    """`API_KEY` and `AZURE_OPENAI_KEY` are names real setups use; a pasted value of one must not be stored."""
    value = "b3c1f0e2a9d84c6f8e7d6c5b4a39281706f5e4d3"
    monkeypatch.setenv(name, value)
    (tmp_path / "story.txt").write_text(f"The note said {value} and nothing else. " * 3 + "\n")
    exp = yaml.safe_load((ROOT / "protocols" / "summarize.yaml").read_text())
    exp["task"] = {"path": "story.txt"}
    exp["models"] = {role: "scripted:echo" for role in exp["models"]}
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump(exp))
    monkeypatch.setenv("OVERSIGHT_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["run", str(tmp_path / "exp.yaml"), "--runs-dir", str(tmp_path / "runs")]) == 2
    assert name in capsys.readouterr().err
    stored = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "story.txt" and value.encode() in p.read_bytes()]
    assert stored == []
