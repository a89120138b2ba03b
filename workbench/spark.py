"""The analysis queries on Spark: the store's query tables as Parquet, registered in a session.

pyspark is not a dependency of the workbench (it is in the dev extra, for the portability
test and `make bench`); install it and a Java runtime to use this module.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from workbench.queries import Queries


def local_session(threads: int = 2):
    """A Spark session in local mode, quiet, on UTC (the store's timestamps are UTC)."""
    from pyspark.sql import SparkSession
    # pyspark 4 warns about pandas 3 on every result; tests/test_portable_queries.py checks
    # that every frame the workbench asks for converts exactly.
    warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
    spark = (SparkSession.builder.master(f"local[{threads}]").appName("workbench")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.shuffle.partitions", str(2 * threads)).getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def queries_on_spark(store, folder: str | Path, spark) -> Queries:
    """Copy the store's query tables to Parquet under `folder`, register them in `spark`
    under their own names, and return the store's queries bound to that session."""
    import ibis
    for table, path in store.export_tables(folder).items():
        spark.read.parquet(str(path)).createOrReplaceTempView(table)
    return Queries(ibis.pyspark.connect(spark), store.config)
