"""The built-in sanitisers: each kind of noise replaced, data left alone, linear time."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repolens.rerun.sanitise import SANITISERS, near, parse_date, sanitise, settle


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param(
            "<Foo object at 0x7f3a2b1c4d50>", "<Foo object at 0x55d0c0ffee00>", id="address"
        ),
        pytest.param("Wall time: 1.21 s", "Wall time: 980 ms", id="wall-time"),
        pytest.param(
            "CPU times: user 2 s, sys: 10 ms, total: 2.01 s",
            "CPU times: user 3.1 s, sys: 0 ns, total: 3.1 s",
            id="cpu-times",
        ),
        pytest.param(
            "1.23 ms ± 45.6 µs per loop (mean ± std. dev. of 7 runs, 1000 loops each)",
            "998 µs ± 2.1 µs per loop (mean ± std. dev. of 7 runs, 1,000 loops each)",
            id="timeit",
        ),
        pytest.param(
            "100 loops, best of 3: 2.1 ms per loop",
            "100 loops, best of 3: 3 ms per loop",
            id="old-timeit",
        ),
        pytest.param("training took 1.2s", "training took 14.75 seconds", id="took"),
        pytest.param("done in 3.5 min", "done in 2 minutes", id="in-minutes"),
        pytest.param(
            " 40%|####      | 4/10 [00:01<00:02,  2.9it/s]",
            " 40%|####      | 4/10 [00:03<00:05,  1.1it/s]",
            id="tqdm",
        ),
        pytest.param(
            "100/100 [==============================] - 1s 5ms/step - loss: 0.6931",
            "100/100 [==============================] - 3s 27ms/step - loss: 0.6931",
            id="keras-step-times",
        ),
        pytest.param(
            "/opt/conda/lib/python3.7/site-packages/sklearn/base.py:12: FutureWarning: old",
            "/scratch/env/lib/python3.11/site-packages/sklearn/base.py:310: FutureWarning: old",
            id="warning-file-line",
        ),
        pytest.param(
            "/tmp/ipykernel_4242/2718281828.py:3: UserWarning: x",
            "/tmp/ipykernel_99/31415.py:7: UserWarning: x",
            id="ipykernel-warning",
        ),
        pytest.param(
            'File "/home/ana/x.py", line 12', 'File "/work/x.py", line 99', id="traceback-line"
        ),
        pytest.param(
            "saved to /tmp/tmpab12cd34/out.csv", "saved to /tmp/tmpzz99yy77/out.csv", id="tmp-path"
        ),
        pytest.param(
            "saved /tmp/tmpab12cd34 and /tmp/x.png",
            "saved /scratch/tmp/tmpzz99yy77 and /var/tmp/job-7/x.png",
            id="tmp-anywhere",
        ),
        pytest.param(
            r"C:\Users\ana\AppData\Local\Temp\x.txt",
            r"C:\Users\bo\AppData\Local\Temp\y.txt",
            id="windows-tmp",
        ),
        pytest.param("name tmpk3j4h5g6", "name tmp0a9b8c7d", id="tmp-name"),
        pytest.param("/home/ana/project/data", "/home/bo/project/data", id="home"),
        pytest.param("id=140234567890123", "id=139876543210987", id="object-id"),
        pytest.param("worker pid=4242 started", "worker pid=17 started", id="pid"),
        pytest.param("at 12:03:44", "at 23:59:01.5", id="clock"),
        pytest.param("\x1b[31mred\x1b[0m", "red", id="ansi"),
        pytest.param(
            "<ipython-input-7-9f8e7d6c5b4a> in <module>",
            "<ipython-input-3-0a1b2c3d4e5f> in <module>",
            id="ipython-input",
        ),
        pytest.param("Cell In[12], line 3", "Cell In[4], line 3", id="cell-in"),
        pytest.param(
            "uuid 123e4567-e89b-12d3-a456-426614174000",
            "uuid 00000000-1111-2222-3333-444444444444",
            id="uuid",
        ),
    ],
)
def test_noise_sanitises_to_the_same_text(first: str, second: str) -> None:
    assert first != second
    assert sanitise(first) == sanitise(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param("accuracy 0.91", "accuracy 0.87", id="a-result"),
        pytest.param("loss: 0.6931", "loss: 0.7012", id="keras-loss-kept"),
        pytest.param("shape (100, 3)", "shape (101, 3)", id="shape"),
        pytest.param("customer id: 1234", "customer id: 1235", id="short-ids-are-data"),
        pytest.param("0 days 00:00:01", "0 days 00:00:02", id="timedelta"),
        pytest.param(
            "2015-07-04 00:00:00", "2015-07-05 00:00:00", id="dates-are-not-sanitised-here"
        ),
        pytest.param("data/train.csv", "data/test.csv", id="relative-paths"),
    ],
)
def test_results_are_not_sanitised_away(first: str, second: str) -> None:
    assert sanitise(first) != sanitise(second)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("0%\r50%\r100%\n", "100%\n"),
        ("abc\x08\x08x\n", "ax\n"),
        ("line\r\nnext", "line\nnext"),
        ("a\rb\rc", "c"),
        ("keep\n", "keep\n"),
    ],
)
def test_settle_shows_what_a_terminal_leaves(raw: str, shown: str) -> None:
    assert settle(raw) == shown


def test_a_progress_bar_rewritten_in_place_is_one_placeholder() -> None:
    bar = "".join(
        f"\r{p:3d}%|{'#' * (p // 10):<10}| {p // 10}/10 [00:0{p // 50}<00:01, 9.{p}it/s]"
        for p in range(0, 101, 10)
    )
    assert sanitise(bar + "\ndone\n") == "<progress>\ndone\n"


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("2024-03-01", datetime(2024, 3, 1)),
        ("2024-03-01 10:11:12", datetime(2024, 3, 1, 10, 11, 12)),
        ("2024-03-01T10:11:12.123456789Z", datetime(2024, 3, 1, 10, 11, 12, 123456)),
        ("2024-03-01T10:11:12+02:00", datetime(2024, 3, 1, 8, 11, 12)),
        ("Fri Mar  1 10:11:12 2024", datetime(2024, 3, 1, 10, 11, 12)),
        ("Fri, 1 Mar 2024 10:11:12 +0000", datetime(2024, 3, 1, 10, 11, 12)),
        ("datetime.datetime(2024, 3, 1, 10, 11, 12, 5)", datetime(2024, 3, 1, 10, 11, 12, 5)),
        ("datetime.date(2024, 3, 1)", datetime(2024, 3, 1)),
        ("2024-13-45", None),
        ("not a date", None),
    ],
)
def test_dates_are_read_in_the_forms_programs_print(token: str, expected: datetime | None) -> None:
    assert parse_date(token) == expected


def test_a_date_near_the_run_is_the_run() -> None:
    ran = datetime(2026, 5, 9, 12)
    assert near("2026-05-09 11:59:00", ran) and near("2026-05-10T20:00:00Z", ran)
    assert not near("2015-07-04", ran) and not near("2026-05-09", None)


def test_sanitising_is_linear_on_adversarial_text() -> None:
    """Long runs that each pattern could backtrack on: well under a second for 2 MB each
    (a backtracking pattern takes minutes on the first)."""
    hostile = [
        "0x" + "f" * 2_000_000,
        "/tmp/" + "a" * 2_000_000,
        ("1" * 50 + ":") * 40_000,
        ".py:" * 500_000,
        "%|" * 1_000_000,
        "\r" * 1_000_000 + "x",
        "a\x08" * 1_000_000,
        "took " * 400_000,
    ]
    for text in hostile:
        started = time.perf_counter()
        sanitise(text)
        assert time.perf_counter() - started < 10, text[:20]


def test_every_sanitiser_has_a_name_and_a_placeholder_or_nothing() -> None:
    names = [item.name for item in SANITISERS]
    assert len(names) == len(set(names)) >= 15


@given(
    st.text(
        alphabet=st.sampled_from(list("0123456789abcdefx:./%|\r\n \x08-_<>TZ")) | st.characters(),
        max_size=300,
    )
)
def test_sanitising_twice_is_sanitising_once_for_any_text(text: str) -> None:
    once = sanitise(text)
    assert sanitise(once) == once
