"""Spark as the engine (``engine.backend: spark``): the reductions run on the cluster (or ``local[N]``).

The session is built from ``engine.spark_master`` (default ``local[2]``) and ``engine.spark_config``
(any ``spark.*`` setting; credentials for object stores belong in the environment or the cluster's
own configuration, never in params). Files named in params are read by Spark itself (CSV with every
column as text, Parquet typed, a catalog table with ``format: table``), so on a cluster their paths
must be ones the executors can read.

Row numbers (``_row``, the row of the file) come from each partition's position and the counts of the
partitions before it, all in the JVM; several files are numbered file after file. Intermediate tables
are local checkpoints (computed once, lineage cut, so a window over ties cannot come out differently
when re-read) registered as temporary views. The validated snapshot the notebooks share is written as
Parquet folders inside the run's staging folder, which on a cluster must be on storage the cluster
shares (``engine.spark_config`` ``spark.sql.warehouse.dir`` does not matter here).
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, Sequence

import ibis

from . import portable
from ..errors import ConfigError, DataError

__all__ = ["ERRORS", "connect_engine", "settings", "describe"]

try:
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    ERRORS: tuple[type[BaseException], ...] = (PySparkException, Py4JError)
except ImportError:  # pragma: no cover - the spark extra is not installed
    ERRORS = ()

PACKAGES: tuple[str, ...] = ("ibis-framework", "pyspark", "sqlglot")

parse_date = portable.parse_date
parse_iso_date = portable.parse_iso_date
parse_number = portable.parse_number
row_hash = portable.row_hash

#: settings every session gets (params may override): no UI server, UTC, the small default shuffle of one machine
DEFAULT_CONFIG = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.ansi.enabled": "false",
}
#: the JVM's log configuration (quiet: failures reach Python as exceptions)
LOG_CONFIG = Path(__file__).with_name("log4j2.properties")


def connect_engine(spec: Any) -> ibis.BaseBackend:
    """A Spark session at ``engine.spark_master`` with ``engine.spark_config``, wrapped by Ibis."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError("engine.backend: spark needs pyspark (4.0.x) and a Java runtime; install them with "
                          "pip install 'retention-kit[spark]' and your system's Java 17 package.") from None
    config = {**DEFAULT_CONFIG, **{k: str(v) for k, v in (spec.spark_config or {}).items()}}
    if spec.memory_limit and "spark.driver.memory" not in config and str(spec.memory_limit)[-1:] != "%":
        config["spark.driver.memory"] = str(spec.memory_limit).replace("GB", "g").replace("MB", "m")
    if "spark.driver.extraJavaOptions" not in config:
        config["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile=file:{LOG_CONFIG}"
    builder = SparkSession.builder.master(spec.spark_master).appName("retention-kit")
    for key, value in config.items():
        builder = builder.config(key, value)
    os.environ.setdefault("PYSPARK_PYTHON", "python3")
    try:
        session = builder.getOrCreate()
    except Exception as exc:
        raise DataError(f"engine Spark at {spec.spark_master}: cannot start a session ({_reason(exc)}). Check "
                        "engine.spark_master and that a Java runtime (17 or 21) is installed.") from None
    con = ibis.pyspark.connect(session)
    con._retention_frames = {}
    con._retention_work_dir = spec.work_dir
    return con


def settings(con: Any) -> dict[str, Any]:
    s = con._session
    return {"spark_version": s.version, "master": s.sparkContext.master,
            "shuffle_partitions": s.conf.get("spark.sql.shuffle.partitions")}


def describe(con: Any) -> str:
    return f"Spark {con._session.version} at {con._session.sparkContext.master}"


# ----------------------------------------------------------------------------- temporary tables


def _frame(con: Any, obj: Any) -> Any:
    """A Spark DataFrame of an Ibis expression or a pandas / Arrow frame."""
    if isinstance(obj, ibis.Table):
        con._run_pre_execute_hooks(obj)
        return con._session.sql(con.compile(obj))
    import pandas as pd
    frame = obj.to_pandas() if hasattr(obj, "to_pandas") and not isinstance(obj, pd.DataFrame) else obj
    return con._session.createDataFrame(frame)


def _register(con: Any, name: str, df: Any) -> ibis.Table:
    drop_tables(con, name)
    df = df.localCheckpoint(eager=True)
    df.createOrReplaceTempView(name)
    con._retention_frames[name] = df
    return con.table(name)


def temp_table(con: Any, name: str, obj: Any) -> ibis.Table:
    """``obj`` computed once (a local checkpoint) as the temporary view ``name``."""
    return _register(con, name, _frame(con, obj))


def drop_tables(con: Any, *names: str) -> None:
    for name in names:
        df = con._retention_frames.pop(name, None)
        con._session.catalog.dropTempView(name)
        if df is not None:
            df.unpersist()


def count_rows(con: Any, name: str) -> int:
    return int(con._session.table(name).count())


# ----------------------------------------------------------------------------- raw inputs


def _where(f: Any) -> str:
    """A path for Spark: a URI as it is, a local file made absolute."""
    text = str(f)
    return text if "://" in text else str(Path(text).resolve())


def _numbered(con: Any, df: Any, files: Sequence[Path] = ()) -> Any:
    """``df`` with ``_row`` first: the 1-based position of each row in the file(s), computed in the JVM."""
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    cols = [F.col("`" + c.replace("`", "``") + "`") for c in df.columns]
    if len(files) > 1:  # files in the order given, each in its own order
        order = {_where(f): i for i, f in enumerate(files)}
        fidx = F.lit(None).cast("int")
        tagged = df.withColumn("__file", F.input_file_name()).withColumn("__id", F.monotonically_increasing_id())
        for path, i in order.items():
            fidx = F.when(F.col("__file").endswith(path), F.lit(i)).otherwise(fidx)
        w = Window.orderBy(F.col("__fidx"), F.col("__id"))
        return tagged.withColumn("__fidx", fidx).select(F.row_number().over(w).cast("long").alias("_row"), *cols)
    tagged = df.select(F.spark_partition_id().alias("__p"), F.monotonically_increasing_id().alias("__id"), *cols)
    tagged = tagged.localCheckpoint(eager=True)
    counts = sorted(tagged.groupBy("__p").count().collect())
    starts, total = {}, 0
    for row in counts:
        starts[row["__p"]] = total
        total += row["count"]
    start = F.lit(0).cast("long")
    for p, s in starts.items():
        start = F.when(F.col("__p") == p, F.lit(s).cast("long")).otherwise(start)
    # monotonically_increasing_id = partition << 33 | position within the partition
    pos = F.col("__id") - F.shiftleft(F.col("__p").cast("long"), 33)
    return tagged.select((start + pos + 1).alias("_row"), *cols)


def copy_csv(con: Any, name: str, files: Sequence[Path], *, delimiter: str | None, encoding: str) -> None:
    """CSV ``files`` read by Spark (header, every column as text), numbered, as the view ``name``."""
    # RFC 4180 quoting (a quote inside a quoted field is doubled), as DuckDB and spreadsheets write it; a line
    # break inside a quoted field needs multiLine, which reads a file in one piece: export Parquet for Spark
    reader = (con._session.read.option("header", True).option("inferSchema", False).option("quote", '"')
              .option("escape", '"').option("multiLine", False))
    reader = reader.option("encoding", "UTF-8" if encoding.lower() in ("utf-8", "utf8", "utf-8-sig") else encoding)
    reader = reader.option("sep", delimiter or sniff_delimiter(con, files[0], encoding=encoding) or ",")
    df = reader.csv([_where(f) for f in files])
    first = df.columns[0] if df.columns else None
    if first and first.startswith("\ufeff"):  # a UTF-8 byte-order mark read as part of the first name
        df = df.withColumnRenamed(first, first.lstrip("\ufeff"))
    _register(con, name, _numbered(con, df, files))


def sniff_delimiter(con: Any, path: Path, *, encoding: str) -> str | None:
    from .postgres_engine import sniff_delimiter as sniff  # Python's CSV sniffer, the same on both servers
    return sniff(None, path, encoding=encoding)


def parquet_rows(con: Any, name: str, files: Sequence[Path]) -> ibis.Table:
    df = con._session.read.parquet(*[_where(f) for f in files])
    return _register(con, name, _numbered(con, df, files))


def copy_frame(con: Any, name: str, frame: Any) -> None:
    """A pandas frame or Arrow table as the view ``name``, its types kept (as the in-process engine keeps them),
    ``_row`` in order. Through Arrow: a pandas object column with empty cells has no type Spark can infer."""
    import pyarrow as pa

    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    table = pa.table({c: (col.cast(pa.string()) if pa.types.is_null(col.type) else col)
                      for c, col in zip(table.column_names, table.columns)})
    table = table.add_column(0, "_row", pa.array(range(1, table.num_rows + 1), pa.int64()))
    _register(con, name, con._session.createDataFrame(table))


def copy_database_file_table(con: Any, name: str, path: Path, table: str) -> None:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as duck:
        arrow = duck.execute('SELECT * FROM "' + table.replace('"', '""') + '"').fetch_arrow_table()
    copy_frame(con, name, arrow)


def engine_table(con: Any, name: str, table: str) -> ibis.Table:
    """A catalog table (``database.table``), numbered in the order Spark reads it."""
    try:
        df = con._session.table(table)
    except Exception as exc:
        raise DataError(f"{table} @ Spark: cannot be read ({_reason(exc)}); check sources.<name>.table in params "
                        "(database.table as the catalog names it).") from None
    return _register(con, name, _numbered(con, df))


def number_rows(con: Any, source: str, name: str) -> ibis.Table:
    """``source`` already has ``_row`` (it was numbered when copied): a view of it under ``name``."""
    con._session.sql(f"CREATE OR REPLACE TEMP VIEW `{name}` AS SELECT * FROM `{source}`")
    return con.table(name)


# ----------------------------------------------------------------------------- the snapshot's tables


def store_table(table: ibis.Table, folder: Path, name: str) -> dict[str, Any]:
    """A Parquet folder written by Spark: ``<engine.work_dir>/<token>/<name>.parquet`` when a shared work folder
    is set (a cluster: the executors write it), else ``<folder>/<name>.parquet`` (``local[N]``)."""
    con = table._find_backend()
    work = getattr(con, "_retention_work_dir", None)
    if work:
        path = f"{str(work).rstrip('/')}/{uuid.uuid4().hex[:12]}/{name}.parquet"
        _frame(con, table).write.mode("overwrite").parquet(path)
        return {"kind": "spark-work", "uri": path}
    local = Path(folder) / f"{name}.parquet"
    _frame(con, table).write.mode("overwrite").parquet(str(local.resolve()))
    return {"kind": "spark-parquet", "dir": local.name}


def load_table(con: Any, folder: Path, ref: dict[str, Any], name: str) -> ibis.Table:
    where = ref["uri"] if ref.get("kind") == "spark-work" else str((Path(folder) / ref["dir"]).resolve())
    df = con._session.read.parquet(where)
    df.createOrReplaceTempView(name)
    return con.table(name)


def drop_stored(con: Any, refs: Sequence[dict[str, Any]]) -> None:
    """Delete the run's folders under ``engine.work_dir`` (Hadoop's file system API: any storage Spark writes)."""
    jvm = con._session._jvm
    conf = con._session._jsc.hadoopConfiguration()
    for ref in refs:
        if ref.get("kind") == "spark-work":
            folder = jvm.org.apache.hadoop.fs.Path(ref["uri"]).getParent()
            folder.getFileSystem(conf).delete(folder, True)


def _reason(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
