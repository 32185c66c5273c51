"""Notebook defaults: figure style, and user errors shown as one message instead of a traceback."""
from __future__ import annotations

import warnings
from typing import Any

from ..errors import RetentionError

__all__ = ["setup_notebook"]


def _clean_error(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None) -> None:
    print(f"{etype.__name__}: {value}")


def setup_notebook(*, report_mode: bool = True) -> None:
    """Notebook defaults: figure style, and user errors shown as one message.

    ``report_mode`` silences library warnings (deprecation notices of
    dependencies), so that rendered reports carry no warnings text; analysts can
    pass ``report_mode=False`` to see them.
    """
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    mpl.rcParams.update({"figure.figsize": (11, 4), "figure.dpi": 100, "axes.titlesize": 13,
                         "axes.titleweight": "bold", "axes.spines.top": False, "axes.spines.right": False})
    if report_mode:
        warnings.filterwarnings("ignore")
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - outside IPython
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((RetentionError,), _clean_error)
        from ..plots.check import install_check

        install_check(shell)  # only when RETENTION_FIGURE_CHECK names a file (the report tests)
