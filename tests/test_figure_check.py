"""plots.check finds what a reader sees as broken, and only that."""
from __future__ import annotations

import matplotlib.pyplot as plt

from retention_utils.plots.check import figure_problems


def test_overlapping_text_is_found():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.text(0.5, 0.5, "first label")
    ax.text(0.52, 0.5, "second label")
    fig.tight_layout()
    assert figure_problems(fig) == ["text 'first label' overlaps text 'second label'"]


def test_text_outside_the_figure_is_found():
    fig, ax = plt.subplots(figsize=(4, 3))
    fig.tight_layout()
    fig.text(0.9, 0.5, "runs off the edge")
    assert figure_problems(fig) == ["text 'runs off the edge' falls outside the figure"]


def test_a_legend_over_bars_is_found_and_one_beside_them_is_not():
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.bar(["a", "b", "c"], [10, 9, 10], label="customers won")
    ax.legend(loc="center")
    fig.tight_layout()
    assert figure_problems(fig) == ["the legend of 'a chart' covers bars"]
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    assert figure_problems(fig) == []


def test_ticks_beyond_the_limits_are_not_text_on_the_picture():
    """matplotlib lays out a label for the tick just past the axis end (here 1.2) but never draws it."""
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1.13])
    ax.set_ylim(0, 1.15)
    fig.tight_layout()
    assert "1.2" in [t.get_text() for t in ax.get_yticklabels()]
    assert figure_problems(fig) == []
