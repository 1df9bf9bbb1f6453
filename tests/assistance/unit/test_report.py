"""The monthly report's presentation: working durations in French, CSV cells, chart bars."""

import dataclasses
from datetime import timedelta

import pytest

from support.report import chart, csv_row, duration_label, minutes_label
from support.selectors import ReportRow


@pytest.mark.parametrize(
    ("value", "label", "_case"),
    [
        (None, "—", "nothing measured"),
        (timedelta(minutes=25), "25 min", "under an hour"),
        (timedelta(minutes=60), "1 h 00", "one hour"),
        (timedelta(minutes=100), "1 h 40", "hours and minutes"),
        (timedelta(hours=26, seconds=29), "26 h 00", "more than a day of working time"),
    ],
)
def test_duration_label(value, label, _case):
    assert duration_label(value) == label


ROW = ReportRow(
    channel="Visio", service="Salle", opened=4, resolved=3,
    median_first_response=timedelta(minutes=30), median_intervention=None,
    within_target=2, measured=3, mean_rating=4.5,
)  # fmt: skip


def test_csv_row_and_chart():
    assert csv_row(ROW) == ["Visio", "Salle", "4", "3", "30", "", "2", "3", "67", "4,5", "", ""]
    interrupted = dataclasses.replace(ROW, status_service="Visioconférence", interrupted_minutes=0)
    assert csv_row(interrupted)[-2:] == ["Visioconférence", "0"]
    [bar] = chart([ROW]).bars
    assert (bar.label, bar.percent, bar.measured) == ("Visio — Salle", 67, True)


@pytest.mark.parametrize(
    ("minutes", "label"),
    [(None, "—"), (0, "0 min"), (45, "45 min"), (60, "1 h 00"), (90, "1 h 30"), (1501, "25 h 01")],
)
def test_minutes_interrupted_label(minutes, label):
    assert minutes_label(minutes) == label
